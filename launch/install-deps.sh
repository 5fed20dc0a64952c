#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages SwiftDDP needs, if any is missing (uses sudo when not root),
# and the Python packages the tests compare against (scikit-learn, TensorBoard's reader, Pillow, pandas);
# scikit-learn also carries the diabetes data of datasets/make-diabetes-csv.py.
# Swift itself is not installed here: see README.md ("Requirements").
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev hdf5-tools zlib1g-dev pkg-config dataset-fashion-mnist
          librsvg2-bin python3 iproute2)   # iproute2: ip and tc for launch/netns-cluster.sh (the multi-host tests)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# a python3 from elsewhere (pyenv, a venv) is as good as Debian's
if command -v python3 >/dev/null; then
    remaining=()
    for package in "${missing[@]}"; do [ "$package" = python3 ] || remaining+=("$package"); done
    missing=("${remaining[@]+"${remaining[@]}"}")
fi

sudo=""
root=true
if [ "$(id -u)" -ne 0 ]; then
    root=false
    command -v sudo >/dev/null && sudo="sudo"
fi
if [ ${#missing[@]} -gt 0 ] && [ $root = false ] && [ -z "$sudo" ]; then
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all apt packages present"
else
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages for the reference tests (docs/metrics.md): skipped when they import already.
python_packages=(scikit-learn tensorboard pillow pandas)   # imported as sklearn, tensorboard, PIL, pandas
if python3 -c "import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ('sklearn', 'tensorboard', 'PIL', 'pandas')))" 2>/dev/null; then
    echo "install-deps: python packages present"
else
    python3 -m pip --version >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; }
    echo "install-deps: pip installing ${python_packages[*]}"
    pip=(python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore)
    [ $root = true ] || pip+=(--user)
    # Debian's own python3 refuses pip installs into it (PEP 668) unless told
    "${pip[@]}" "${python_packages[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages "${python_packages[@]}"
fi
echo "install-deps: done"
