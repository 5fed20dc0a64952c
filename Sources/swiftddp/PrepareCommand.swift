// `swiftddp prepare`: turn public datasets into HDF5 shards (datasets/README.md).
import ArgumentParser
import Data

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Convert a dataset into SwiftDDP's HDF5 shards.",
        subcommands: [FashionMNISTCommand.self, PrepareCSVCommand.self])
}

struct FashionMNISTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-mnist",
        abstract: "Write Fashion-MNIST as training shards, a validation file and a test file.",
        discussion: """
            Reads the four IDX files (gzip-compressed as Debian's dataset-fashion-mnist package installs
            them, or unpacked) and writes OUT/train-0000i-of-0000N.h5, OUT/val.h5 and OUT/test.h5.
            The validation set is a seeded random subset of the 60000 training images.
            """)

    @Option(help: "Directory with the IDX files.")
    var source = "/usr/share/datasets/fashion-mnist"

    @Option(help: "Output directory (created if missing).")
    var out = "datasets/fashion-mnist"

    @Option(help: "Number of training shards (one or more per MPI rank).")
    var shards = 1

    @Option(help: "Training images held out for validation.")
    var valSize = 5000

    @Option(help: "Seed of the validation split.")
    var seed: UInt64 = 0

    @Flag(inversion: .prefixedNo, help: "Store the training pixels' mean and std so features load standardized (mean 0, std 1).")
    var normalize = true

    func validate() throws {
        guard shards >= 1 else { throw ValidationError("--shards must be ≥ 1, got \(shards)") }
        guard valSize >= 0 && valSize < 60000 else { throw ValidationError("--val-size must be in 0..<60000, got \(valSize)") }
    }

    func run() throws {
        do {
            let summary = try FashionMNISTPreparer(source: source, output: out, shards: shards, validationSize: valSize, seed: seed,
                                                  normalize: normalize)
                .run { print($0) }
            print(summary)
        } catch {
            throw fail(error)
        }
    }
}
