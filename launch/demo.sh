#!/usr/bin/env bash
# The main job end to end on the built-in default: install packages, build in release, prepare
# Fashion-MNIST, train the default MLP, print the test accuracy and where the run is.
set -euo pipefail
cd "$(dirname "$0")/.."

./launch/install-deps.sh
command -v swift >/dev/null || { echo "demo.sh: swift is not on PATH (README.md, Requirements)" >&2; exit 1; }

echo "== build (release)"
swift build -c release --product swiftddp
bin=.build/release/swiftddp

data=datasets/fashion-mnist
if [ ! -f "$data/test.h5" ]; then
    echo "== prepare Fashion-MNIST into $data"
    "$bin" prepare fashion-mnist --source /usr/share/datasets/fashion-mnist --out "$data" --shards "${SHARDS:-2}"
fi

run="runs/demo-$(date -u +%Y%m%d-%H%M%S)"
echo "== train (launch/configs/fashion-mnist-mlp.yaml) into $run"
"$bin" train --config launch/configs/fashion-mnist-mlp.yaml --data "$data" --run-dir "$run" "$@"

echo "== metrics"
grep '"split":"test"' "$run/metrics.jsonl"
echo "run directory: $run (config.yaml, metrics.jsonl, train.log)"
