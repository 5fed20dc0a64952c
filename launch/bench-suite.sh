# Issue 8's benchmark suite: `launch/bench.sh suite` sources this file after building swiftddp-bench
# and defining its helpers (piece, settle, stats), so the method is bench.sh's: every piece in its own
# process launch, round-robin over LAUNCHES launches, a quiet-wait before each, medians over launches,
# ratios within a launch. launch/bench_suite.py then prints the table (with issue 8's done-when checks)
# and writes the JSON file; docs/performance.md ("The benchmark suite (issue 8)") explains every key.
#
#   launch/bench.sh suite                      # about 4-6 minutes on the 2-core VM with the defaults (up to 10 when other work keeps the quiet-waits waiting)
#   LAUNCHES=5 JSON=bench.json launch/bench.sh suite
# Environment (besides bench.sh's SCRATCH, SKIP_BUILD, OUT, MPIRUN_ARGS, QUIET_BUSY): LAUNCHES (default 3),
# QUIET_WAIT (default 5 s here), JSON (default bench.json), DATA (default datasets/fashion-mnist),
# LOOP_STEPS (MLP train-loop steps, 180), CNN_LOOP_STEPS (60), CHECKPOINT_PARAMETERS (10000000).
# shellcheck shell=bash disable=SC2154
launches=${LAUNCHES:-3}
quiet_wait=${QUIET_WAIT:-5}
json=${JSON:-bench.json}
data=${DATA:-datasets/fashion-mnist}
loop_steps=${LOOP_STEPS:-180}
cnn_loop_steps=${CNN_LOOP_STEPS:-60}
[ -d "$data" ] || { echo "bench.sh suite: no dataset at $data (swiftddp prepare fashion-mnist --out $data, or DATA=dir)" >&2; exit 1; }
mpi=(mpirun ${MPIRUN_ARGS:-})
mlp=launch/configs/fashion-mnist-mlp.yaml
cnn=launch/configs/fashion-mnist-cnn.yaml
echo "bench.sh suite: $launches launches x 10 pieces, then allocations once per config; raw output in $out"
start=$(date +%s)
for launch in $(seq 1 "$launches"); do
    piece "$launch" step "$bin" step --threads 1 --steps 50 --reps 5 --warmup 30
    piece "$launch" cnn "$bin" cnn --threads 1 --padding 2 --batch 64 --steps 10 --reps 3 --warmup 3
    piece "$launch" ddp1 "${mpi[@]}" -np 1 "$bin" ddp --threads 1 --bucket-mb "$bucket_mb" --steps 50 --reps 5 --warmup 30
    piece "$launch" ddp2 "${mpi[@]}" -np 2 "$bin" ddp --threads 1 --bucket-mb "$bucket_mb" --steps 50 --reps 5 --warmup 30
    piece "$launch" loop-mlp1 "${mpi[@]}" -np 1 "$bin" train-loop --config "$mlp" --data "$data" --steps "$loop_steps" --skip 20
    piece "$launch" loop-mlp2 "${mpi[@]}" -np 2 "$bin" train-loop --config "$mlp" --data "$data" --steps "$loop_steps" --skip 20
    piece "$launch" loop-cnn1 "${mpi[@]}" -np 1 "$bin" train-loop --config "$cnn" --data "$data" --steps "$cnn_loop_steps" --skip 10
    piece "$launch" loop-cnn2 "${mpi[@]}" -np 2 "$bin" train-loop --config "$cnn" --data "$data" --steps "$cnn_loop_steps" --skip 10
    piece "$launch" loader "$bin" loader --data "$data" --batch 128 --reps 3
    piece "$launch" checkpoint "$bin" checkpoint --parameters "${CHECKPOINT_PARAMETERS:-10000000}" --reps 2
    echo "  launch $launch/$launches done ($(( $(date +%s) - start )) s)"
done
# allocation counts do not depend on the noise: once per config, 1 OpenBLAS thread as the pieces above
for config in mlp cnn lstm; do
    piece 1 "allocations-$config" env OPENBLAS_NUM_THREADS=1 "$bin" allocations --config "launch/configs/fashion-mnist-$config.yaml" --data "$data" --steps 30
done
echo "  allocations done ($(( $(date +%s) - start )) s)"
echo
python3 launch/bench_suite.py "$results" "$json" --meta \
    "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "host=$(hostname)" "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "cores=$(nproc)" \
    "openblas=$("$bin" step --threads 1 --steps 1 --reps 1 --warmup 1 | sed -n 's/.*OpenBLAS \([^,]*\),.*/\1/p' | head -1)" \
    "results=$results" "log=$log"
echo "raw RESULT lines: $results; full output: $log"
