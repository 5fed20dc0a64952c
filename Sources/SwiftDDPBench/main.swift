// swiftddp-bench: throughput of the default MLP's training step, alone (issue 2) and data-parallel
// under mpirun (issue 3). launch/bench.sh runs both over several launches and prints medians;
// docs/performance.md explains the numbers.
//
//   swiftddp-bench step [--threads 1] [--steps 50] [--reps 7] [--warmup 30]
//   swiftddp-bench augmentation [--reps 5] [--batch 64]
//   swiftddp-bench cnn [--threads 1] [--steps 10] [--reps 7] [--warmup 5] [--batch 64] [--padding 0]
//   mpirun -np 2 swiftddp-bench ddp [--threads 1] [--steps 50] [--reps 7] [--warmup 30] [--bucket-mb 4] [--reduce-iters 10] [--poll on]
//   swiftddp-bench kernels [--reps 7] [--launches 5] [--only NAME]   (ElementwiseBench.swift, issue 8)
//   mpirun -np P swiftddp-bench allreduce; swiftddp-bench cost-model --parameters P --compute-ms C --alpha-us A (CostModel.swift)
//   [mpirun -np 2] swiftddp-bench train-loop [--config C] [--steps 180]; swiftddp-bench loader (issue 8; launch/bench.sh suite)
import Foundation

let usage = """
    usage: swiftddp-bench step [--threads T] [--steps N] [--reps R] [--warmup W]
           swiftddp-bench cnn [--threads T] [--steps N] [--reps R] [--warmup W] [--batch B] [--padding P]
           mpirun -np P swiftddp-bench ddp [--threads T] [--steps N] [--reps R] [--warmup W] [--bucket-mb MB] [--reduce-iters K] [--poll on|off] [--shm on|off] [--phases on]
    step: one process, training step vs sgemm on the same shapes (OpenBLAS threads T, default 1)
    cnn [--batch 64] [--padding 0|2]: one process, the CNN of fashion-mnist-cnn.yaml: samples/s, and each conv
          and dense layer's forward + backward GFLOP/s vs sgemm on the same shapes (steps default 10, warmup 5)
    ddp:  under mpirun (or alone, as 1 rank): global samples/s, exposed all-reduce wait vs the reduction alone;
          --poll off makes Communicator.poll a no-op (an experiment: reductions then advance only in finish);
          --shm off keeps the gradients out of shared memory (MPI transfers, as before distributed.shared_memory);
          --phases on prints every rank's time per phase (each layer's forward and backward, the reduction, the
          optimizer) next to the same step without communication, run on every rank at once
    augmentation [--reps 5] [--batch 64]: what data.augmentation costs: the per-epoch draw and a batch vs a plain copy
    kernels [--reps 7] [--launches 1] [--only NAME]: every activation, loss and optimizer kernel vs a scalar reference
          loop and memcpy (µs per call, speedup, GB/s); --launches L > 1 runs L processes and prints medians over them
    checkpoint [--parameters 100000000] [--reps 3] [--dir D]: save and restore throughput (Adam state included)
    allocations [--config launch/configs/fashion-mnist-mlp.yaml] [--data datasets/fashion-mnist] [--steps 50]:
          heap allocations per steady-state step of the real Trainer loop (runs of N and 2N steps)
    order-check: mpirun -np 2; regression check for the collective-ordering bug fixed in 094a84c (exit 1 if it is back)
    allreduce [--sizes B,B,...] [--iters 20] [--reps 5] [--fit-from 262144]: under mpirun, the all-reduce training uses at
          each size (bytes); fits the latency α and bandwidth B of the cost model (docs/performance.md, "Across hosts")
    cost-model --parameters P --compute-ms C --alpha-us A [--efficiency 1] [--hidden-ms 0] [--batch 128]
          [--ranks 2,4,...,512] [--gbit 10,25,100]: predicted step time and all-reduce time per rank count and link rate
    loader [--data datasets/fashion-mnist] [--batch 128] [--reps 5] [--flip off|on]: shard loading as training does it
          (DatasetShard.load of every training shard: MB/s, samples/s) and TrainingLoader batches (samples/s)
    train-loop [--config launch/configs/fashion-mnist-mlp.yaml] [--data datasets/fashion-mnist] [--steps 180] [--skip 20]
          [--threads 1]: alone or under mpirun, the real Trainer on the real shards: samples/s, the step split (data,
          compute, optimizer, exposed communication, other), allocations per step, peak RSS per rank vs issue 8's bound
    Lines starting with RESULT are for launch/bench.sh.
    """

do {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2 else { throw BenchError.usage(usage) }
    if arguments.dropFirst(2).contains(where: { $0 == "--help" || $0 == "-h" }) {   // `MODE --help`: the usage, every mode's options
        print(usage)
        exit(0)
    }
    let common = ["threads", "steps", "reps", "warmup"]
    switch arguments[1] {
    case "step":
        let options = try Options(arguments.dropFirst(2), allowed: common)
        try StepBench.run(threads: try options.int("threads", 1), steps: try options.int("steps", 50),
                          repetitions: try options.int("reps", 7), warmup: try options.int("warmup", 30))
    case "cnn":
        let options = try Options(arguments.dropFirst(2), allowed: common + ["batch", "padding"])
        let padding = options.string("padding", "0")
        guard let paddingValue = Int(padding), paddingValue >= 0 else { throw BenchError.usage("--padding must be ≥ 0, got \(padding)") }
        try CNNBench.run(threads: try options.int("threads", 1), steps: try options.int("steps", 10),
                         repetitions: try options.int("reps", 7), warmup: try options.int("warmup", 5),
                         batch: try options.int("batch", 64), padding: paddingValue)
    case "augmentation":
        let options = try Options(arguments.dropFirst(2), allowed: ["reps", "batch"])
        try AugmentationBench.run(repetitions: try options.int("reps", 5), batch: try options.int("batch", 64))
    case "ddp":
        let options = try Options(arguments.dropFirst(2), allowed: common + ["bucket-mb", "reduce-iters", "poll", "shm", "phases"])
        let poll = options.string("poll", "on"), shm = options.string("shm", "on"), phases = options.string("phases", "off")
        guard poll == "on" || poll == "off" else { throw BenchError.usage("--poll must be on or off, got \(poll)") }
        guard shm == "on" || shm == "off" else { throw BenchError.usage("--shm must be on or off, got \(shm)") }
        guard phases == "on" || phases == "off" else { throw BenchError.usage("--phases must be on or off, got \(phases)") }
        try DDPBench.run(threads: try options.int("threads", 1), steps: try options.int("steps", 50),
                         repetitions: try options.int("reps", 7), warmup: try options.int("warmup", 30),
                         bucketMegabytes: try options.double("bucket-mb", 4),
                         reduceIterations: try options.int("reduce-iters", 10), noPoll: poll == "off", sharedMemory: shm == "on",
                         phases: phases == "on")
    case "allocations":
        let options = try Options(arguments.dropFirst(2), allowed: ["config", "data", "steps"])
        try AllocationBench.run(configPath: options.string("config", "launch/configs/fashion-mnist-mlp.yaml"),
                                dataDirectory: options.string("data", "datasets/fashion-mnist"), steps: try options.int("steps", 50))
    case "kernels":
        let options = try Options(arguments.dropFirst(2), allowed: ["reps", "launches", "only"])
        try ElementwiseBench.run(repetitions: try options.int("reps", 7), launches: try options.int("launches", 1),
                                 only: options.string("only", "").isEmpty ? nil : options.string("only", ""))
    case "order-check":
        try OrderCheck.run()
    case "checkpoint":
        let options = try Options(arguments.dropFirst(2), allowed: ["parameters", "reps", "dir"])
        try CheckpointBench.run(parameters: try options.int("parameters", 100_000_000), repetitions: try options.int("reps", 3),
                                directory: options.string("dir", NSTemporaryDirectory() + "swiftddp-bench"))
    case "allreduce":
        let options = try Options(arguments.dropFirst(2), allowed: ["sizes", "iters", "reps", "fit-from"])
        let sizes = try options.list("sizes", [4, 4096, 65536, 262_144, 738_344, 1_048_576, 2_143_272, 4_194_304]).map { Int($0) }
        try CostModel.measure(sizes: sizes, iterations: try options.int("iters", 20), repetitions: try options.int("reps", 5),
                              fitFrom: try options.int("fit-from", 262_144))
    case "cost-model":
        let options = try Options(arguments.dropFirst(2),
                                  allowed: ["parameters", "compute-ms", "alpha-us", "efficiency", "hidden-ms", "batch", "ranks", "gbit"])
        CostModel.predict(parameters: try options.int("parameters", 535_818), compute: try options.double("compute-ms", 3.5) / 1e3,
                          alpha: try options.double("alpha-us", 20) / 1e6, efficiency: try options.double("efficiency", 1),
                          hidden: try options.double("hidden-ms", 0) / 1e3,
                          ranks: try options.list("ranks", [2, 4, 8, 16, 32, 64, 128, 256, 512]).map { Int($0) },
                          gbits: try options.list("gbit", [10, 25, 100]), samplesPerStep: try options.int("batch", 128))
    case "loader":
        let options = try Options(arguments.dropFirst(2), allowed: ["data", "batch", "reps", "flip"])
        try LoaderBench.run(dataDirectory: options.string("data", "datasets/fashion-mnist"), batch: try options.int("batch", 128),
                            repetitions: try options.int("reps", 5), horizontalFlip: options.string("flip", "off") == "on")
    case "train-loop":
        let options = try Options(arguments.dropFirst(2), allowed: ["config", "data", "steps", "skip", "threads"])
        try TrainLoopBench.run(configPath: options.string("config", "launch/configs/fashion-mnist-mlp.yaml"),
                               dataDirectory: options.string("data", "datasets/fashion-mnist"), steps: try options.int("steps", 180),
                               skip: try options.int("skip", 20), threads: try options.int("threads", 1))
    case "-h", "--help", "help":
        print(usage)
    default:
        throw BenchError.usage(usage)
    }
} catch {
    FileHandle.standardError.write(Data("swiftddp-bench: \(error)\n".utf8))
    exit(2)
}
