#!/usr/bin/env bash
# The cost model's measurements on the emulated cluster (root only; docs/performance.md,
# "Across hosts: a cost model"). Uses launch/netns-cluster.sh and the release binaries. In each
# of LAUNCHES rounds, one after the other:
#   - 1 rank alone, each config, and two single-rank runs at once (one per core, no communication):
#     the compute time per step, alone and with both cores busy as in a 2-rank job;
#   - for each RATE, on 2 hosts × 1 rank: the all-reduce over sizes (swiftddp-bench allreduce),
#     fitted to latency α and bandwidth B, then a training run of each config (its train
#     records: step_ms, compute_ms, comm_ms, allreduce_wait_ms);
#   - 4 hosts × 1 rank at FOUR_RATE: the all-reduce sweep (SwiftDDP's own reduction for N > 2).
# Then, per config and rate, the measured step time against the model's prediction
#   compute + 2(N−1)/N · S / B + 2(N−1) · α + ⌈log2 N⌉ · α   (S = gradient bytes, N = 2)
# with the compute term from the concurrent single-rank runs, from the 1-rank run alone, or from
# the same run's compute_ms, and α and B from the same round's sweep at that rate. Each host gets its own core
# (NC_CPUSETS "0 1"). Numbers are medians over rounds, with [min–max].
#
#   launch/netns-bench.sh                       # about 8 minutes
#   RATES="1gbit" CONFIGS=launch/configs/fashion-mnist-mlp.yaml LAUNCHES=5 launch/netns-bench.sh
# Environment: RATES (default "none 10gbit 1gbit 100mbit"), FOUR_RATE (1gbit; "" skips it),
# LAUNCHES (3), CONFIGS (the MLP and CNN configs), STEPS (training steps per run, default 120;
# records up to step 20 are not counted), DATA (a prepared Fashion-MNIST, default
# datasets/fashion-mnist; prepared with 2 shards if missing), SKIP_BUILD=1, OUT (keeps logs and run
# directories; default a mktemp -d directory).
set -euo pipefail
cd "$(dirname "$0")/.."

rates=${RATES:-none 10gbit 1gbit 100mbit}
four_rate=${FOUR_RATE-1gbit}
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
summary() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "-"; exit} m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.3f [%.3f–%.3f]", m, v[1], v[NR]}'; }
# the mean of FIELD over the train records after step 20 of a metrics.jsonl (weighted by steps)
field() { grep '"split":"train"' "$1" | awk -v f="\"$2\":" -F, '
    { s = 0; v = ""; for (i = 1; i <= NF; i++) { if (index($i, "\"step\":") == 1) s = substr($i, 8) + 0;
      if (index($i, f) == 1) v = substr($i, length(f) + 1) + 0; if (index($i, "\"steps\":") == 1) n = substr($i, 9) + 0 } }
    s > 20 && v != "" { sum += v * n; count += n } END { if (count) printf "%.4f\n", sum / count }'; }
fit() { grep '^RESULT allreduce-fit' "$1" | sed "s/.*$2=\([^ ]*\).*/\1/"; }
sweep() {   # hosts rate round
    $cluster run -np "$1" "$bench" allreduce --reps 5 >"$out/allreduce-$1-$2-$3.log" 2>&1 || echo "sweep $1 $2 $3 failed" >&2
}
trainrun() {   # ranks name config tag
    $cluster run -np "$1" "$train" train --config "$3" --data "$data" --max-steps "$steps" --log-every 10 \
        --blas-threads 1 --run-dir "$out/run-$2-$4" --overwrite >"$out/train-$2-$4.log" 2>&1 || echo "training $2 $4 failed" >&2
}

for round in $(seq "$launches"); do
    echo "== round $round/$launches (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    $cluster up 2 1 >/dev/null
    for config in $configs; do
        name=$(basename "$config" .yaml)
        trainrun 1 "$name" "$config" "1rank-$round"
        # both cores computing, no communication: two independent 1-rank runs at once
        for core in 0 1; do
            taskset -c "$core" "$train" train --config "$config" --data "$data" --max-steps "$steps" --log-every 10 \
                --blas-threads 1 --run-dir "$out/run-$name-busy$core-$round" --overwrite >"$out/train-$name-busy$core-$round.log" 2>&1 &
        done
        wait
    done
    for rate in $rates; do
        $cluster shape "${rate/none/off}" >/dev/null
        sweep 2 "$rate" "$round"
        for config in $configs; do trainrun 2 "$(basename "$config" .yaml)" "$config" "$rate-$round"; done
    done
    if [ -n "$four_rate" ]; then
        $cluster up 4 1 >/dev/null
        $cluster shape "$four_rate" >/dev/null
        sweep 4 "$four_rate" "$round"
    fi
done
$cluster down >/dev/null

echo
echo "== all-reduce (swiftddp-bench allreduce): fitted α per ring step and bandwidth B per rank; µs per size"
for spec in $(for r in $rates; do echo "2:$r"; done) ${four_rate:+4:$four_rate}; do
    hosts=${spec%%:*} rate=${spec#*:}
    logs=("$out"/allreduce-"$hosts-$rate"-*.log)
    printf '%sx1 %-7s α %s µs   B %s Gbit/s\n' "$hosts" "$rate" \
        "$(for f in "${logs[@]}"; do fit "$f" alpha_us; done | summary)" "$(for f in "${logs[@]}"; do fit "$f" gbit; done | summary)"
    for bytes in 4 262144 738344 1048576 2143272 4194304; do
        printf '    %8d bytes: %s µs\n' "$bytes" \
            "$(grep -h "^RESULT allreduce .*bytes=$bytes " "${logs[@]}" | sed 's/.* us=\([^ ]*\).*/\1/' | summary)"
    done
done

echo
echo "== training steps, ms per step (mean over the records after step 20; median over rounds [min–max])"
for config in $configs; do
    name=$(basename "$config" .yaml)
    parameters=$(grep -h '^total parameters:' "$out/train-$name-1rank-1.log" | awk '{print $3}')
    printf '%s: %s parameters (%s bytes of gradient)\n' "$name" "$parameters" "$((parameters * 4))"
    printf '  1 rank        step %s  compute %s\n' \
        "$(for i in $(seq "$launches"); do field "$out/run-$name-1rank-$i/metrics.jsonl" step_ms; done | summary)" \
        "$(for i in $(seq "$launches"); do field "$out/run-$name-1rank-$i/metrics.jsonl" compute_ms; done | summary)"
    busy() { cat "$out/run-$name-busy0-$1/metrics.jsonl" "$out/run-$name-busy1-$1/metrics.jsonl" >"$out/busy-$name-$1.jsonl"
             field "$out/busy-$name-$1.jsonl" compute_ms; }
    printf '  2 x 1 rank at once, no communication: compute %s\n' "$(for i in $(seq "$launches"); do busy "$i"; done | summary)"
    for rate in $rates; do
        line=""
        for f in step_ms compute_ms comm_ms allreduce_wait_ms; do
            line="$line ${f%_ms} $(for i in $(seq "$launches"); do field "$out/run-$name-$rate-$i/metrics.jsonl" "$f"; done | summary)"
        done
        printf '  2x1 %-8s%s\n' "$rate" "$line"
        # predictions per round: compute (1 rank, or this run's) + ring all-reduce + flags, N = 2
        predictions=$(for i in $(seq "$launches"); do
            alpha=$(fit "$out/allreduce-2-$rate-$i.log" alpha_us) gbit=$(fit "$out/allreduce-2-$rate-$i.log" gbit)
            compute1=$(field "$out/run-$name-1rank-$i/metrics.jsonl" compute_ms)
            computeBusy=$(busy "$i")
            own=$(field "$out/run-$name-$rate-$i/metrics.jsonl" compute_ms)
            measured=$(field "$out/run-$name-$rate-$i/metrics.jsonl" step_ms)
            [ -n "$alpha" ] && [ -n "$measured" ] && awk -v a="$alpha" -v g="$gbit" -v c1="$compute1" -v c2="$own" -v c3="$computeBusy" \
                -v m="$measured" -v s="$((parameters * 4))" 'BEGIN { comm = s / (g * 1e9 / 8) * 1e3 + (2 + 1) * a / 1e3;
                    printf "%.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", comm, c3 + comm, m / (c3 + comm), c1 + comm, m / (c1 + comm), c2 + comm, m / (c2 + comm) }'
        done)
        column() { awk -v c="$1" '{print $c}' <<<"$predictions" | summary; }
        printf '      model: all-reduce + flags %s ms\n' "$(column 1)"
        printf '      predicted step, compute with both cores busy %s ms: measured/predicted %s\n' "$(column 2)" "$(column 3)"
        printf '      predicted step, compute of 1 rank alone      %s ms: measured/predicted %s\n' "$(column 4)" "$(column 5)"
        printf '      predicted step, compute of this run           %s ms: measured/predicted %s\n' "$(column 6)" "$(column 7)"
    done
done
echo "logs and run directories: $out"
