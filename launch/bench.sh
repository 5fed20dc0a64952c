#!/usr/bin/env bash
# Builds swiftddp-bench (release) and runs the throughput benchmarks of docs/performance.md:
#   issue 2: one process, training step vs sgemm on the same shapes, 1 and 2 OpenBLAS threads;
#   issue 3: mpirun -np 1 and -np 2 (1 OpenBLAS thread per rank), exposed all-reduce wait.
# Each piece runs in LAUNCHES separate process launches, round-robin (the VM is noisy; platform.md
# insists on medians over launches), then this prints median [min–max] over launches and ratios.
#
#   launch/bench.sh                  # about 2–3 minutes with the defaults
#   LAUNCHES=9 STEPS=100 launch/bench.sh
#   launch/bench.sh cnn              # issue 4: the CNN (launch/configs/fashion-mnist-cnn.yaml) alone, 1 and 2
#                                    # OpenBLAS threads (CNN_THREADS, default "1 2"), padding 0 and CNN_PADDING
#                                    # (default 2); about 4 minutes on a quiet machine
#   launch/bench.sh suite            # issue 8: the whole benchmark suite in one run, a table and bench.json
#                                    # (launch/bench-suite.sh; LAUNCHES default 3; about 4-6 minutes, up to 10 on a busy machine)
# Environment: LAUNCHES (default 7), STEPS per repetition (50), REPS per launch (7), WARMUP (30),
# BUCKET_MB (4, the trainer's default), EXTRA_BUCKET_MB (also run 2 ranks with this bucket size, e.g.
# 0.5, to see whether several buckets overlap better; adds about 40 s), SCRATCH (build directory, default .build-bench),
# SKIP_BUILD=1 (use the existing binary), OUT (keep the raw RESULT lines and logs in this directory),
# MPIRUN_ARGS (extra mpirun flags), QUIET_BUSY / QUIET_WAIT (before each piece, wait up to QUIET_WAIT
# seconds, default 10, until other work keeps the cores less than QUIET_BUSY %, default 20, busy;
# QUIET_WAIT=0 disables the wait). The busy share before each piece is recorded either way.
set -euo pipefail
cd "$(dirname "$0")/.."

launches=${LAUNCHES:-7}
steps=${STEPS:-50}
reps=${REPS:-7}
warmup=${WARMUP:-30}
bucket_mb=$(printf '%g' "${BUCKET_MB:-4}")
extra_mb=${EXTRA_BUCKET_MB:+$(printf '%g' "$EXTRA_BUCKET_MB")}
scratch=${SCRATCH:-.build-bench}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/swiftddp-bench.XXXXXX")}
mkdir -p "$out"
results="$out/results.txt"
log="$out/bench.log"
: >"$results"
: >"$log"

if [ -z "${SKIP_BUILD:-}" ]; then
    swift build -c release --scratch-path "$scratch" --product swiftddp-bench
fi
bin="$scratch/release/swiftddp-bench"
[ -x "$bin" ] || { echo "bench.sh: $bin not found" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# Percent of both cores busy with other work during the half second before a launch.
busy() {
    local a b
    read -r -a a < <(head -1 /proc/stat)
    sleep 0.5
    read -r -a b < <(head -1 /proc/stat)
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

quiet_busy=${QUIET_BUSY:-20}
quiet_wait=${QUIET_WAIT:-10}

# Prints the busy share after waiting (up to quiet_wait seconds) for it to drop below quiet_busy.
settle() {
    local load waited=0
    load=$(busy)
    while [ "$load" -ge "$quiet_busy" ] && [ "$waited" -lt "$quiet_wait" ]; do
        sleep 1.5
        waited=$((waited + 2))
        load=$(busy)
    done
    echo "$load"
}

# Runs one piece, appending its RESULT line tagged with the launch number and background load.
piece() {
    local launch=$1 name=$2; shift 2
    local load
    load=$(settle)
    echo "### launch $launch $name (other work: $load % busy): $*" >>"$log"
    local output
    if ! output=$("$@" 2>&1); then
        echo "$output" >>"$log"
        echo "bench.sh: $name failed in launch $launch; see $log" >&2
        return 1
    fi
    echo "$output" >>"$log"
    echo "$output" | grep '^RESULT' | sed "s/\$/ launch=$launch busy=$load/" >>"$results"
}

# Summary helpers: median [min–max] over launches of each launch's median.
# value KEY FILTER: the KEY values of the RESULT lines matching FILTER (an ERE), one per line
value() { grep -E "$2" "$results" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# stats: "median [min–max]" of numbers on stdin
stats() {
    sort -g | awk -v d="${1:-1}" '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.*f [%.*f-%.*f]\n", d, m, d, v[1], d, v[NR] }'
}
row() { printf '  %-44s %s\n' "$1" "$2"; }

# ---- issue 8: `launch/bench.sh suite`, every measurement in one run, a table and a JSON file
if [ "${1:-}" = suite ]; then
    # shellcheck source=launch/bench-suite.sh
    . launch/bench-suite.sh
    exit 0
fi

# ---- issue 4: `launch/bench.sh cnn`
if [ "${1:-}" = cnn ]; then
    cnn_padding=${CNN_PADDING:-2}
    cnn_common=(--steps "${CNN_STEPS:-10}" --reps "$reps" --warmup 5 --batch "${CNN_BATCH:-64}")
    cnn_threads=${CNN_THREADS:-1 2}
    echo "bench.sh cnn: $launches launches x (threads $cnn_threads) x (padding 0 and $cnn_padding); raw output in $out"
    for launch in $(seq 1 "$launches"); do
        for t in $cnn_threads; do
            for p in 0 "$cnn_padding"; do
                piece "$launch" "cnn-t$t-p$p" "$bin" cnn --threads "$t" --padding "$p" "${cnn_common[@]}"
            done
        done
        echo "  launch $launch/$launches done"
    done
    echo
    echo "== swiftddp-bench cnn: median [min–max] over $launches launches; layer = forward + backward as in training =="
    for t in $cnn_threads; do
        for p in 0 "$cnn_padding"; do
            f="^RESULT cnn threads=$t padding=$p "
            echo "$t OpenBLAS thread(s), conv padding $p, batch ${CNN_BATCH:-64}"
            row "samples/s (training step)" "$(value samples_per_s "$f" | stats 0)"
            for layer in conv1 conv2 dense1 dense2 layers; do
                row "$layer GFLOP/s: layer / sgemm same shapes" "$(value "${layer}_gflops" "$f" | stats 1) / $(value "${layer}_gemm_gflops" "$f" | stats 1)"
                row "$layer layer / sgemm$([ $layer = layers ] && echo ' (target >= 60 %)')" "$(value "${layer}_pct" "$f" | stats 1) %"
            done
            row "by CPU time: samples/s" "$(value cpu_samples_per_s "$f" | stats 0)"
            row "by CPU time: conv+dense GFLOP/s / sgemm" "$(value cpu_layers_gflops "$f" | stats 1) / $(value cpu_layers_gemm_gflops "$f" | stats 1)"
            row "by CPU time: conv+dense / sgemm" "$(value cpu_layers_pct "$f" | stats 1) %"
            row "other work during the runs" "$(value other_pct "$f" | stats 1) %"
        done
    done
    row "other work on the cores before launches" "$(sed -n 's/.* busy=\([0-9]*\)$/\1/p' "$results" | stats 0) %"
    echo "raw RESULT lines: $results; full output: $log"
    exit 0
fi

common=(--steps "$steps" --reps "$reps" --warmup "$warmup")
echo "bench.sh: $launches launches x (step 1 thread, step 2 threads, mpirun -np 1, mpirun -np 2${extra_mb:+, mpirun -np 2 bucket_mb $extra_mb}); raw output in $out"
for launch in $(seq 1 "$launches"); do
    piece "$launch" step1 "$bin" step --threads 1 "${common[@]}"
    piece "$launch" step2 "$bin" step --threads 2 "${common[@]}"
    # shellcheck disable=SC2086
    piece "$launch" ddp1 mpirun -np 1 ${MPIRUN_ARGS:-} "$bin" ddp --threads 1 --bucket-mb "$bucket_mb" "${common[@]}"
    # shellcheck disable=SC2086
    piece "$launch" ddp2 mpirun -np 2 ${MPIRUN_ARGS:-} "$bin" ddp --threads 1 --bucket-mb "$bucket_mb" "${common[@]}"
    if [ -n "$extra_mb" ]; then
        # shellcheck disable=SC2086
        piece "$launch" ddp2x mpirun -np 2 ${MPIRUN_ARGS:-} "$bin" ddp --threads 1 --bucket-mb "$extra_mb" "${common[@]}"
    fi
    echo "  launch $launch/$launches done"
done

# ---- summary: median [min–max] over launches of each launch's median (helpers defined above)
step1='^RESULT step threads=1 '
step2='^RESULT step threads=2 '
ddp1="^RESULT ddp ranks=1 bucket_mb=$bucket_mb "
ddp2="^RESULT ddp ranks=2 bucket_mb=$bucket_mb "
ddp2x="^RESULT ddp ranks=2 bucket_mb=${extra_mb:-none} "

echo
echo "== swiftddp-bench: median [min–max] over $launches launches (OpenBLAS $("$bin" step --threads 1 --steps 1 --reps 1 --warmup 1 | sed -n 's/.*OpenBLAS \([^,]*\),.*/\1/p' | head -1)) =="
echo "issue 2: training step of 784-512-256-10, batch 128, one process"
for t in 1 2; do
    f=$([ $t = 1 ] && echo "$step1" || echo "$step2")
    row "$t thread(s): samples/s" "$(value samples_per_s "$f" | stats 0)"
    row "$t thread(s): training GFLOP/s" "$(value train_gflops "$f" | stats 1)"
    row "$t thread(s): sgemm GFLOP/s, same shapes" "$(value gemm_gflops "$f" | stats 1)"
    row "$t thread(s): training / sgemm (target >= 85 %)" "$(value ratio_pct "$f" | stats 1) %"
    row "$t thread(s): step us: GEMM calls alone" "$(value gemm_calls_us "$f" | stats 0)"
    row "$t thread(s): step us: ReLU backward x2" "$(value relu_bwd_us "$f" | stats 0)"
    row "$t thread(s): step us: SGD step" "$(value sgd_us "$f" | stats 0)"
    row "$t thread(s): step us: timed step total" "$(value timed_step_us "$f" | stats 0)"
done
echo "issue 3: data parallel, 1 OpenBLAS thread per rank, bucket_mb $bucket_mb"
row "1 rank: global samples/s" "$(value samples_per_s "$ddp1" | stats 0)"
row "2 ranks: global samples/s" "$(value samples_per_s "$ddp2" | stats 0)"
# per-launch scaling: the two runs of a launch are seconds apart, so their ratio cancels slow periods
for launch in $(seq 1 "$launches"); do
    one=$(value samples_per_s "$ddp1.* launch=$launch ")
    two=$(value samples_per_s "$ddp2.* launch=$launch ")
    [ -n "$one" ] && [ -n "$two" ] && awk -v a="$one" -v b="$two" 'BEGIN { printf "%.4f\n", b / a }'
done >"$out/scaling.txt"
row "2 ranks / 1 rank (target >= 1.85x)" "$(stats 2 <"$out/scaling.txt")x"
row "2 ranks: step ms / same step without comm" "$(value step_ms "$ddp2" | stats 3) / $(value local_step_ms "$ddp2" | stats 3)"
row "1 rank: step ms" "$(value step_ms "$ddp1" | stats 3)"
row "exposed wait per step us (buckets.finish)" "$(value exposed_us "$ddp2" | stats 0)"
row "  waiting for the other rank us" "$(value skew_wait_us "$ddp2" | stats 0)"
row "  reduction after the last backward us" "$(value after_last_us "$ddp2" | stats 0)"
row "reduction start in layerFinished us" "$(value start_us "$ddp2" | stats 0)"
row "MPI_Allreduce alone us (535,818 floats)" "$(value raw_us "$ddp2" | stats 0)"
row "allReduceSum alone us" "$(value det_us "$ddp2" | stats 0)"
row "bucketed reduction alone us" "$(value bucketed_us "$ddp2" | stats 0)"
row "exposed / MPI_Allreduce (target <= 1.05x)" "$(value exposed_over_raw "$ddp2" | stats 2)x"
row "exposed / allReduceSum" "$(value exposed_over_det "$ddp2" | stats 2)x"
row "allReduceSum / MPI_Allreduce" "$(value det_over_raw "$ddp2" | stats 2)x"
row "hidden behind backward (1 - exposed/alone)" "$(value hidden_pct "$ddp2" | stats 1) %"
row "  counting the start as exposed" "$(value hidden_with_start_pct "$ddp2" | stats 1) %"
row "2 ranks: step - compute-only step us" "$(value overhead_us "$ddp2" | stats 0)"
row "  / MPI_Allreduce alone" "$(value overhead_over_raw "$ddp2" | stats 2)x"
row "parameters identical on both ranks" "$(value agree "$ddp2" | sort -u | tr '\n' ' ')(1 = yes)"
if [ -n "$extra_mb" ]; then
    echo "issue 3 with bucket_mb $extra_mb (2 ranks)"
    row "global samples/s" "$(value samples_per_s "$ddp2x" | stats 0)"
    row "exposed wait per step us" "$(value exposed_us "$ddp2x" | stats 0)"
    row "reduction start in layerFinished us" "$(value start_us "$ddp2x" | stats 0)"
    row "step - compute-only step us" "$(value overhead_us "$ddp2x" | stats 0)"
    row "hidden (1 - exposed/alone)" "$(value hidden_pct "$ddp2x" | stats 1) %"
    row "  counting the start as exposed" "$(value hidden_with_start_pct "$ddp2x" | stats 1) %"
    row "parameters identical on both ranks" "$(value agree "$ddp2x" | sort -u | tr '\n' ' ')(1 = yes)"
fi
echo "noise"
row "other work on the cores before launches" "$(sed -n 's/.* busy=\([0-9]*\)$/\1/p' "$results" | stats 0) %"
row "other work during step 1 / 2 threads" "$(value other_pct "$step1" | stats 1) % / $(value other_pct "$step2" | stats 1) %"
row "other work during 1 / 2 ranks" "$(value other_pct "$ddp1" | stats 1) % / $(value other_pct "$ddp2" | stats 1) %"
row "hypervisor steal (max over pieces)" "$(value steal_pct '^RESULT' | sort -g | tail -1) %"
echo "raw RESULT lines: $results; full output: $log"
