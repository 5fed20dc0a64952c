#!/usr/bin/env bash
# The cost model's measurements on the emulated cluster (root only; docs/performance.md,
# "Across hosts: a cost model"). Uses launch/netns-cluster.sh and the release binaries.
#   1. all-reduce time over sizes (swiftddp-bench allreduce) on 2 hosts × 1 rank at every RATE,
#      and on 4 hosts × 1 rank at 1gbit: the fitted latency α and bandwidth B per rank;
#   2. the training step of each config on 2 hosts × 1 rank at every RATE (the train records'
#      step_ms / compute_ms / comm_ms / allreduce_wait_ms), and on 1 rank alone (the compute term).
# Each host gets its own core (NC_CPUSETS "0 1"), like separate machines. Every number is the
# median over LAUNCHES separate launches (the VM is noisy), with [min–max].
#
#   launch/netns-bench.sh                       # about 6 minutes
#   RATES="1gbit" CONFIGS=launch/configs/fashion-mnist-mlp.yaml LAUNCHES=5 launch/netns-bench.sh
# Environment: RATES (default "none 10gbit 1gbit 100mbit"), LAUNCHES (3), CONFIGS (the MLP and
# CNN configs), STEPS (training steps per launch, default 120; the first 20 are not counted),
# DATA (a prepared Fashion-MNIST, default datasets/fashion-mnist; prepared if missing),
# SKIP_BUILD=1, OUT (keeps logs and run directories; default a mktemp -d directory).
set -euo pipefail
cd "$(dirname "$0")/.."

rates=${RATES:-none 10gbit 1gbit 100mbit}
launches=${LAUNCHES:-3}
configs=${CONFIGS:-launch/configs/fashion-mnist-mlp.yaml launch/configs/fashion-mnist-cnn.yaml}
steps=${STEPS:-120}
data=${DATA:-datasets/fashion-mnist}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/netns-bench.XXXXXX")}
mkdir -p "$out"
export NC_PREFIX=${NC_PREFIX:-ncbench} NC_CPUSETS=${NC_CPUSETS:-0 1}
cluster=launch/netns-cluster.sh
trap '$cluster down >/dev/null' EXIT

[ -n "${SKIP_BUILD:-}" ] || swift build -c release
bench=$PWD/.build/release/swiftddp-bench
train=$PWD/.build/release/swiftddp
[ -d "$data" ] || "$train" prepare fashion-mnist --out "$data" --shards 2
data=$(cd "$data" && pwd)

# median [min–max] of the numbers on stdin
summary() { sort -g | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.3f [%.3f–%.3f]", m, v[1], v[NR]}'; }
# per launch: the mean of FIELD over the train records after step 20 (weighted by their steps)
field() { grep '"split":"train"' "$1" | awk -v f="\"$2\":" -F, '
    { s = 0; v = ""; for (i = 1; i <= NF; i++) { if (index($i, "\"step\":") == 1) s = substr($i, 8) + 0;
      if (index($i, f) == 1) v = substr($i, length(f) + 1) + 0; if (index($i, "\"steps\":") == 1) n = substr($i, 9) + 0 } }
    s > 20 && v != "" { sum += v * n; count += n } END { if (count) printf "%.4f\n", sum / count }'; }

sweep() {   # hosts rate
    local hosts=$1 rate=$2 i
    $cluster up "$hosts" 1 >/dev/null
    [ "$rate" = none ] || $cluster shape "$rate" >/dev/null
    for i in $(seq "$launches"); do
        $cluster run -np "$hosts" "$bench" allreduce --reps 5 >"$out/allreduce-$hosts-$rate-$i.log" 2>&1
    done
    local alphas gbits
    alphas=$(grep -h '^RESULT allreduce-fit' "$out"/allreduce-"$hosts-$rate"-*.log | sed 's/.*alpha_us=\([^ ]*\).*/\1/' | summary)
    gbits=$(grep -h '^RESULT allreduce-fit' "$out"/allreduce-"$hosts-$rate"-*.log | sed 's/.*gbit=\([^ ]*\).*/\1/' | summary)
    printf '%-8s %-7s α %s µs   B %s Gbit/s\n' "${hosts}x1" "$rate" "$alphas" "$gbits"
    for bytes in 4 262144 738344 1048576 2143272 4194304; do
        printf '    %8d bytes: %s µs\n' "$bytes" "$(grep -h "^RESULT allreduce .*bytes=$bytes " "$out"/allreduce-"$hosts-$rate"-*.log \
            | sed 's/.* us=\([^ ]*\).*/\1/' | summary)"
    done
}

echo "== all-reduce sweeps (swiftddp-bench allreduce; logs in $out)"
for rate in $rates; do sweep 2 "$rate"; done
sweep 4 1gbit

echo "== training steps: ms per step, mean over the records after step 20, median over launches"
for config in $configs; do
    name=$(basename "$config" .yaml)
    $cluster up 2 1 >/dev/null
    for i in $(seq "$launches"); do
        $cluster run -np 1 "$train" train --config "$config" --data "$data" --max-steps "$steps" --log-every 10 \
            --blas-threads 1 --run-dir "$out/run-$name-1rank-$i" --overwrite >"$out/train-$name-1rank-$i.log" 2>&1
    done
    printf '%-22s 1 rank   step %s  compute %s\n' "$name" \
        "$(for i in $(seq "$launches"); do field "$out/run-$name-1rank-$i/metrics.jsonl" step_ms; done | summary)" \
        "$(for i in $(seq "$launches"); do field "$out/run-$name-1rank-$i/metrics.jsonl" compute_ms; done | summary)"
    for rate in $rates; do
        $cluster shape "${rate/none/off}" >/dev/null
        for i in $(seq "$launches"); do
            $cluster run -np 2 "$train" train --config "$config" --data "$data" --max-steps "$steps" --log-every 10 \
                --blas-threads 1 --run-dir "$out/run-$name-$rate-$i" --overwrite >"$out/train-$name-$rate-$i.log" 2>&1
        done
        line=""
        for f in step_ms compute_ms comm_ms allreduce_wait_ms data_ms; do
            line="$line ${f%_ms} $(for i in $(seq "$launches"); do field "$out/run-$name-$rate-$i/metrics.jsonl" "$f"; done | summary)"
        done
        printf '%-22s 2x1 %-7s%s\n' "$name" "$rate" "$line"
    done
done
echo "logs and run directories: $out"
