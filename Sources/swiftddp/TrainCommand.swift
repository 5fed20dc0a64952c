// `swiftddp train`: build the communicator, load the config, run the Trainer, map errors to an
// exit code.
import ArgumentParser
import Comm
import Tensors
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the model of a YAML config.",
        discussion: """
            Without mpirun this runs one process (the single-node debug mode). Flags override the config;
            `--set key.path=value` overrides any config key (docs/config.md), e.g.
              --set optimizer.learning_rate=0.1 --set model.layers.0.units=1024
            The run directory gets config.yaml (as trained), metrics.jsonl and train.log.
            """)

    @Option(help: "The YAML config (see launch/configs/ and docs/config.md).")
    var config: String

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Override a config key.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Dataset directory (overrides data.dir).")
    var data: String?

    @Option(help: "Run directory (default: runs/<name>-<UTC time>).")
    var runDir: String?

    @Option(help: "Epochs (overrides training.epochs).")
    var epochs: Int?

    @Option(help: "Seed (overrides seed).")
    var seed: UInt64?

    @Option(help: "Stop after this many steps (overrides training.max_steps).")
    var maxSteps: Int?

    @Option(help: "OpenBLAS threads per process (default: CPUs this process may use).")
    var blasThreads: Int?

    @Flag(help: "Replace the files of an earlier run in --run-dir.")
    var overwrite = false

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be ≥ 1, got \(epochs)") }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be ≥ 1, got \(maxSteps)") }
        if let blasThreads, blasThreads < 1 { throw ValidationError("--blas-threads must be ≥ 1, got \(blasThreads)") }
    }

    /// `--set` overrides followed by the dedicated flags, which win.
    var allOverrides: [String] {
        var all = overrides
        if let data { all.append("data.dir=\(data)") }
        if let epochs { all.append("training.epochs=\(epochs)") }
        if let seed { all.append("seed=\(seed)") }
        if let maxSteps { all.append("training.max_steps=\(maxSteps)") }
        return all
    }

    func run() throws {
        let communicator = SingleProcessCommunicator()
        do {
            let config = try TrainingConfig.load(path: config, overrides: allOverrides)
            let threads = blasThreads ?? allowedCPUCount()
            BLASRuntime.setThreads(threads)
            let console = Console(rank: communicator.rank)
            console.print0("swiftddp train: \(communicator.size) rank(s), OpenBLAS \(BLASRuntime.threads) thread(s) per rank (\(BLASRuntime.coreName))")
            var options = RunOptions(runDirectory: runDir ?? RunDirectory.defaultPath(name: config.name))
            options.overwrite = overwrite
            let summary = try Trainer(config: config, options: options, communicator: communicator, console: console).run()
            if let accuracy = summary.testAccuracy {
                console.print0("test accuracy: \(accuracy)")
            }
            console.print0("run directory: \(summary.runDirectory)")
        } catch {
            throw fail(error)
        }
    }
}
