// `swiftddp train`: pick the communicator (MPI under mpirun, in-process threads for
// --simulate-ranks, else one process), load the config, run the Trainer, map errors to an exit
// code, and finalize or abort MPI.
import ArgumentParser
import Foundation
import Comm
import CommMPI
import Tensors
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the model of a YAML config, data-parallel over the ranks of this launch.",
        discussion: """
            Under mpirun (or srun) every rank loads its own training shards, gradients
            are averaged with MPI, and rank 0 validates, logs and writes the run
            directory:
              launch/mpirun.sh train --config launch/configs/fashion-mnist-mlp.yaml
            Without a launcher this runs as one process, deterministically (the
            single-node debug mode); --simulate-ranks N runs N ranks as threads and
            gives bit for bit the parameters of `mpirun -np N`.

            Flags override the config; --set overrides any config key (docs/config.md):
              --set optimizer.learning_rate=0.1 --set model.layers.0.units=1024

            Exit status: 0 done; 1 runtime failure (data, checkpoints, disk, ranks; under
            MPI every rank of the job ends); 2 bad command line or config; 130/143
            stopped at the end of a step by SIGINT/SIGTERM. Every error message and its
            exit code: docs/errors.md.
            """)

    @Option(help: "The YAML config (see launch/configs/ and docs/config.md).")
    var config: String

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Override a config key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Dataset directory (overrides data.dir).")
    var data: String?

    @Option(help: "Run directory (default: runs/<name>-<UTC time>).")
    var runDir: String?

    @Flag(help: "Replace the files of an earlier run in --run-dir.")
    var overwrite = false

    @Option(help: "Epochs (overrides training.epochs).")
    var epochs: Int?

    @Option(help: "Seed (overrides seed).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Seconds a rank waits in one collective for the others before the job ends, naming the ranks that did not arrive (overrides distributed.timeout_seconds; 0: forever).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: "OpenBLAS threads per rank (default: the CPUs this rank is bound to, or the node's CPUs / ranks on the node; at least 1).")
    var blasThreads: Int?

    @Option(help: "Write the final parameters to this HDF5 file (/params/<name>).")
    var saveWeights: String?

    @Flag(help: "Go on from the newest valid checkpoint in --run-dir (a damaged newest one is reported and skipped).")
    var resume = false

    @Option(help: ArgumentHelp("Go on from this checkpoint file (writes on into --run-dir).", valueName: "checkpoint.h5"))
    var resumeFrom: String?

    @Option(help: ArgumentHelp("Start a new run from the parameters of this checkpoint or weights file (fine-tuning); parameters whose name or size differ keep their initialization.", valueName: "file.h5"))
    var initFrom: String?

    @Option(help: ArgumentHelp("Do not train the parameters under these comma-separated prefixes, e.g. layers.0,layers.2.", valueName: "prefixes"))
    var freeze: String?

    // Debug aids (docs/debugging.md)

    @Option(help: ArgumentHelp("Run N ranks as threads of this process (debug mode; no mpirun).", valueName: "N"))
    var simulateRanks: Int?

    @Option(help: "Stop after this many steps (overrides training.max_steps).")
    var maxSteps: Int?

    @Option(help: ArgumentHelp("Train on K fixed batches only, to see that the model can fit them.", valueName: "K"))
    var overfitBatches: Int?

    @Flag(help: "Check every parameter's gradient against finite differences on one real batch before training.")
    var checkGradients = false

    @Flag(help: "Stop at the first NaN/Inf activation or gradient, naming the layer, step and rank.")
    var detectAnomalies = false

    @Option(help: ArgumentHelp("Log a train record and print a step line every N steps (overrides training.log_every).", valueName: "N"))
    var logEvery: Int?

    func validate() throws {
        for (flag, value) in [("--epochs", epochs), ("--max-steps", maxSteps), ("--blas-threads", blasThreads),
                              ("--simulate-ranks", simulateRanks), ("--overfit-batches", overfitBatches), ("--log-every", logEvery)] {
            if let value, value < 1 { throw ValidationError("\(flag) must be ≥ 1, got \(value)") }
        }
        if let timeout, !(timeout >= 0 && timeout.isFinite) { throw ValidationError("--timeout must be a number of seconds ≥ 0, got \(timeout)") }
        if simulateRanks != nil && MPIRuntime.launchedByMPI {
            throw ValidationError("--simulate-ranks is the single-process debug mode; do not combine it with mpirun")
        }
        if resume && resumeFrom != nil { throw ValidationError("give either --resume or --resume-from, not both") }
        if initFrom != nil && (resume || resumeFrom != nil) {
            throw ValidationError("--init-from starts a new run; --resume goes on with an old one: give one of them")
        }
        if overfitBatches != nil && (resume || resumeFrom != nil) {
            // a checkpoint's position (epoch, step in the epoch) means nothing in K-batch epochs
            throw ValidationError("--overfit-batches starts a new debugging run; it cannot go on with a checkpoint (--resume, --resume-from)")
        }
        if (resume || resumeFrom != nil) && runDir == nil {
            throw ValidationError("--resume and --resume-from need --run-dir (the run to go on writing)")
        }
    }

    /// `--set` overrides followed by the dedicated flags, which win.
    var allOverrides: [String] {
        var all = overrides
        if let data { all.append("data.dir=\(data)") }
        if let epochs { all.append("training.epochs=\(epochs)") }
        if let seed { all.append("seed=\(seed)") }
        if let maxSteps { all.append("training.max_steps=\(maxSteps)") }
        if let logEvery { all.append("training.log_every=\(logEvery)") }
        if let timeout { all.append("distributed.timeout_seconds=\(timeout)") }
        return all
    }

    func run() throws {
        // One OpenBLAS setting per process: the node's CPUs shared by the ranks on it.
        BLASRuntime.setThreads(blasThreads ?? defaultBLASThreads(simulatedRanks: simulateRanks ?? 1))
        StopSignal.install(releasingOutput: MPIRuntime.launchedByMPI)   // a rank's output is a pipe or pty of its own
        signal(SIGXFSZ, SIG_IGN)   // a file-size limit (ulimit -f) then fails a write with EFBIG, reported, instead of killing the rank
        if MPIRuntime.launchedByMPI {
            try runUnderMPI()
        } else if let ranks = simulateRanks {
            try runSimulated(ranks: ranks)
        } else {
            do {
                try train(communicator: SingleProcessCommunicator())
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw fail(error)
            }
        }
    }

    private func runUnderMPI() throws {
        let communicator: MPICommunicator
        do {
            communicator = try MPIRuntime.initialize()
        } catch {
            throw fail(error)
        }
        communicator.timeoutSeconds = TrainingConfig().collectiveTimeout   // until the config sets its own
        do {
            try train(communicator: communicator)
            communicator.close()
            MPIRuntime.finalize()
        } catch let exit as ExitCode where exit.rawValue == 130 || exit.rawValue == 143 {
            communicator.close()
            MPIRuntime.finalize()
            throw exit
        } catch where ExitStatus.isRaisedByEveryRank(error) {
            // Every rank stopped at the same point: report once and end cleanly.
            let code = communicator.rank == 0 ? fail(error) : ExitCode(ExitStatus.code(for: error))
            MPIRuntime.finalize()
            throw code
        } catch {
            // A timeout is seen by every rank that waits; the lowest of them reports it for the
            // job, and the others give it time to (its MPI_Abort normally ends them first).
            if let timeout = error as? CollectiveTimeout, timeout.reporter != communicator.rank {
                Thread.sleep(forTimeInterval: min(timeout.seconds + 5, 60))
            }
            let code = fail(error, rank: communicator.rank)
            // End every rank: the others may be waiting in a collective this rank will never enter.
            if communicator.size > 1 { MPIRuntime.abort(code: code.rawValue) }
            MPIRuntime.finalize()
            throw code
        }
    }

    private func runSimulated(ranks: Int) throws {
        let command = self
        do {
            _ = try LocalCommunicator.run(ranks: ranks) { communicator in
                try command.train(communicator: communicator)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            let rank = (error as? CommError)?.rank ?? (error as? CollectiveTimeout)?.rank ?? (error as? TrainingError).flatMap(\.rank)
            throw fail(error, rank: rank)
        }
    }

    /// One rank's run. Throws `ExitCode` 130/143 after a clean stop on a signal.
    private func train(communicator: any Communicator) throws {
        // every rank reads the config; when all fail alike the job ends once, cleanly (exit 2)
        let loaded = Result { try TrainingConfig.load(path: self.config, overrides: allOverrides) }
        let failures = try communicator.allReduce([(try? loaded.get()) == nil ? 1 : 0], .sum)[0]
        if failures > 0 {
            if case .failure(let error) = loaded { throw Int(failures) == communicator.size ? RaisedByEveryRank(error: error) : error }
            throw CommError(operation: "loading the config", rank: communicator.rank, reason: "another rank could not load \(self.config)")
        }
        let config = try loaded.get()
        let console = Console(rank: communicator.rank)
        console.print0("swiftddp train: \(communicator.size) rank(s)\(simulateRanks != nil ? " simulated in one process" : ""), "
            + "OpenBLAS \(BLASRuntime.threads) thread(s) per rank (\(BLASRuntime.coreName))")
        var options = RunOptions(runDirectory: runDir ?? RunDirectory.defaultPath(name: config.name))
        options.overwrite = overwrite
        options.overfitBatches = overfitBatches
        options.checkGradients = checkGradients
        options.detectAnomalies = detectAnomalies
        options.printSteps = logEvery != nil
        options.saveWeights = saveWeights
        options.resume = resumeFrom.map { .file($0) } ?? (resume ? .latest : nil)
        options.initFrom = initFrom
        options.freeze = freeze.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
        let summary = try Trainer(config: config, options: options, communicator: communicator, console: console).run()
        if let accuracy = summary.testAccuracy { console.print0("test accuracy: \(String(format: "%.4f", accuracy))") }   // 4 decimals, as the test line
        console.print0("run directory: \(summary.runDirectory)")
        if summary.stoppedBySignal != 0 { throw ExitCode(128 + summary.stoppedBySignal) }
    }
}

extension TrainingError {
    /// The rank named in the error, if any.
    var rank: Int? {
        switch self {
        case .anomaly(_, let rank, _, _, _, _), .anomalousLoss(_, let rank, _, _, _), .gradientCheckFailed(_, _, _, _, let rank): return rank
        default: return nil
        }
    }
}
