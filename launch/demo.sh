#!/usr/bin/env bash
# The main job end to end on the built-in default: install packages, build in release, prepare
# Fashion-MNIST into 2 shards, train the default MLP on 2 MPI ranks, review the run with
# `swiftddp metrics` (summary, per-epoch table, charts), print the test accuracy and where the
# run is. Extra arguments go to `swiftddp train` (e.g. --epochs 1).
#   RANKS=4 ./launch/demo.sh      # more ranks (oversubscribed on a 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."

./launch/install-deps.sh
command -v swift >/dev/null || { echo "demo.sh: swift is not on PATH (README.md, Requirements)" >&2; exit 1; }

echo "== build (release)"
swift build -c release --product swiftddp
bin=.build/release/swiftddp
ranks=${RANKS:-2}

data=datasets/fashion-mnist
# one shard per rank: a directory prepared for another rank count gets a sibling for this one
if [ -f "$data/test.h5" ] && [ ! -f "$data/$(printf 'train-00000-of-%05d.h5' "$ranks")" ]; then
    data="datasets/fashion-mnist-$ranks-shards"
fi
if [ ! -f "$data/test.h5" ]; then
    echo "== prepare Fashion-MNIST into $data ($ranks training shards)"
    "$bin" prepare fashion-mnist --source /usr/share/datasets/fashion-mnist --out "$data" --shards "$ranks"
fi

run="runs/demo-$(date -u +%Y%m%d-%H%M%S)"
echo "== train launch/configs/fashion-mnist-mlp.yaml on $ranks MPI ranks into $run"
RANKS=$ranks SWIFTDDP=$bin ./launch/mpirun.sh train --config launch/configs/fashion-mnist-mlp.yaml --data "$data" --run-dir "$run" "$@"

echo "== swiftddp metrics $run"
"$bin" metrics "$run"
accuracy=$(grep '"split":"test"' "$run/metrics.jsonl" | sed -E 's/.*"accuracy":([0-9.]+).*/\1/')
echo "test accuracy: $accuracy"
echo "run directory: $run (config.yaml, metrics.jsonl, train.log, checkpoints/)"
echo "next: $bin evaluate --checkpoint $run/checkpoints/best.h5 --data $data/test.h5"
