#!/usr/bin/env bash
# Runs swiftddp on N local ranks with the flags a container or a laptop needs:
#   RANKS=4 launch/mpirun.sh train --config launch/configs/fashion-mnist-mlp.yaml
# or across the hosts of a hostfile (docs/operations.md):
#   HOSTFILE=hosts RANKS=4 IFACE=10.0.0.0/24 launch/mpirun.sh train --config launch/configs/fashion-mnist-mlp.yaml
# Environment: RANKS (default 2), SWIFTDDP (binary, default .build/release/swiftddp),
# HOSTFILE (run across the hosts it lists; see launch/hostfile.example),
# IFACE (the network Open MPI uses between hosts: an interface name such as eth1, or a subnet such
#   as 10.0.0.0/24; sets --mca btl_tcp_if_include and oob_tcp_if_include, and TCP between hosts
#   with shared memory within a host),
# KEEPALIVE (with HOSTFILE: "TIME INTERVAL PROBES" in seconds for Open MPI's control connections,
#   default "10 2 3", so that a host cut off the network ends the job in about 10–20 s instead
#   of about 8 minutes; "off" keeps Open MPI's defaults),
# MPIRUN_ARGS (extra mpirun flags).
# Relative paths (SWIFTDDP, HOSTFILE, and the paths given to swiftddp) are taken from the
# directory you run this from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
    # the comment block at the top of this file, without its '#'
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed -E 's/^# ?//'
    echo "Usage: [RANKS=N] [HOSTFILE=FILE] launch/mpirun.sh <swiftddp subcommand> [arguments]"
}
case "${1:-}" in
    "") usage >&2; exit 2 ;;
    -h|--help) usage; exit 0 ;;
esac

ranks=${RANKS:-2}
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "mpirun.sh: RANKS must be a whole number ≥ 1, got '$ranks'" >&2; exit 2; }
if [ -n "${SWIFTDDP:-}" ]; then
    binary=$SWIFTDDP
    [ -x "$binary" ] || { echo "mpirun.sh: SWIFTDDP=$binary is not an executable file" >&2; exit 1; }
else
    binary=$root/.build/release/swiftddp
    [ -x "$binary" ] || { echo "mpirun.sh: $binary not found; build it with: swift build -c release --product swiftddp" >&2; exit 1; }
fi
if [ -n "${HOSTFILE:-}" ] && [ ! -f "$HOSTFILE" ]; then
    echo "mpirun.sh: HOSTFILE=$HOSTFILE does not exist (see launch/hostfile.example)" >&2; exit 2
fi

args=(-np "$ranks")
# Containers often run as root; Open MPI refuses that unless told it is intended.
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
if [ -n "${HOSTFILE:-}" ]; then
    args+=(--hostfile "$HOSTFILE")
    keepalive=${KEEPALIVE:-10 2 3}
    if [ "$keepalive" != off ]; then
        read -r time interval probes <<<"$keepalive"
        args+=(--mca oob_tcp_keepalive_time "$time" --mca oob_tcp_keepalive_intvl "$interval"
               --mca oob_tcp_keepalive_probes "$probes")
    fi
    # Two ranks: Open MPI's nonblocking all-reduce defaults to reduce-then-broadcast, which sends
    # the gradient twice in a row; the ring sends it once each way at the same time (1.7× faster
    # on a 1 Gbit/s link, docs/performance.md). The result is bit for bit the same.
    args+=(--mca coll_libnbc_iallreduce_algorithm 1)
else
    cores=$(nproc)
    # More ranks than cores: allow it, and make idle ranks yield the CPU instead of busy-polling
    # (platform.md / multihost.md: 100× slower small messages otherwise).
    if [ "$ranks" -gt "$cores" ]; then
        args+=(--oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
    fi
fi
# Ranks see a pseudo-terminal even when mpirun's output goes to a file: tell rank 0 whether it
# really is a terminal (for the progress bar, logging.progress: auto).
if [ -t 1 ]; then export SWIFTDDP_STDOUT_IS_TTY=1; else export SWIFTDDP_STDOUT_IS_TTY=0; fi
args+=(-x SWIFTDDP_STDOUT_IS_TTY)
if [ -n "${IFACE:-}" ]; then
    args+=(--mca btl tcp,vader,self --mca btl_tcp_if_include "$IFACE" --mca oob_tcp_if_include "$IFACE")
fi
# mpirun runs as a job of its own (set -m: its own process group), and this script forwards
# SIGINT, SIGTERM and SIGHUP to it exactly once: a Ctrl-C that reached mpirun twice (from the
# terminal and forwarded) would make it kill the ranks at once, before their stop checkpoint.
# After a signal the script exits 128 + its number (130 for Ctrl-C), as a process stopped by it
# does; mpirun itself exits 1 then. Otherwise it exits with mpirun's status.
set -m
# shellcheck disable=SC2086
mpirun "${args[@]}" ${MPIRUN_ARGS:-} "$binary" "$@" </dev/null &
job=$!
received=0
forward() { received=$1; kill -s "$2" "$job" 2>/dev/null || true; }
trap 'forward 130 INT' INT
trap 'forward 143 TERM' TERM
trap 'forward 129 HUP' HUP
status=0
while :; do
    wait "$job" && status=0 || status=$?
    kill -0 "$job" 2>/dev/null || break    # a trapped signal interrupted the wait: mpirun still runs
done
[ "$received" -eq 0 ] || exit "$received"
exit "$status"
