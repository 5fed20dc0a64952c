// `swiftddp prepare csv`: a CSV table into training shards, a validation file and a test file.
import ArgumentParser
import Data

struct PrepareCSVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Write a CSV table as training shards, a validation file and a test file.",
        discussion: """
            The first line names the columns. Rows whose target is missing are dropped; missing feature
            values are dropped or imputed (--missing). A seeded permutation splits the rows into
            validation, test and training; standardization statistics come from the training split only.
            Format and rules: datasets/README.md ("Preparing a CSV file").
            """)

    @Option(help: "The CSV file.")
    var input: String

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Target column(s), comma-separated: one class column, or one or more regression targets.")
    var target: String

    @Option(help: "classification (class values → ids 0..<K) or regression (float targets).")
    var task: String

    @Option(help: "Feature columns, comma-separated (default: every column that is not a target or ignored).")
    var features: String?

    @Option(help: "Columns to leave out of the default features, comma-separated (an id or a text column).")
    var ignore: String?

    @Option(help: "Fraction of the rows held out for val.h5, in [0, 1).")
    var valFraction = 0.1

    @Option(help: "Fraction of the rows held out for test.h5, in [0, 1).")
    var testFraction = 0.1

    @Option(help: "Number of training shards (one or more per MPI rank).")
    var shards = 1

    @Option(help: "Seed of the train/validation/test split.")
    var seed: UInt64 = 0

    @Option(help: "Missing feature values: drop (the row), mean or median (of the training split's column).")
    var missing = "drop"

    @Flag(inversion: .prefixedNo, help: "Store the training split's per-feature mean and std so features load standardized.")
    var standardize = true

    @Option(help: "The cell separator, one character.")
    var delimiter = ","

    func validate() throws {
        guard DatasetTask(rawValue: task) != nil else { throw ValidationError("--task must be classification or regression, got '\(task)'") }
        guard CSVPreparer.MissingPolicy(rawValue: missing) != nil else {
            throw ValidationError("--missing must be drop, mean or median, got '\(missing)'")
        }
        guard delimiter.count == 1 else { throw ValidationError("--delimiter must be one character, got '\(delimiter)'") }
        // shards, fractions and targets that no file could satisfy are a bad command line (exit 2)
        do {
            try preparer().checkOptions()
        } catch let error as CSVError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        do {
            let report = try preparer().run { print($0) }
            print(report)
            print(report.files)
        } catch {
            throw fail(error)
        }
    }

    /// The preparation the flags describe.
    private func preparer() -> CSVPreparer {
        var preparer = CSVPreparer(input: input, output: out, targets: names(target), task: DatasetTask(rawValue: task) ?? .regression)
        preparer.features = features.map(names)
        preparer.ignored = ignore.map(names) ?? []
        (preparer.validationFraction, preparer.testFraction) = (valFraction, testFraction)
        (preparer.shards, preparer.seed, preparer.standardize) = (shards, seed, standardize)
        preparer.missing = CSVPreparer.MissingPolicy(rawValue: missing) ?? .drop
        preparer.delimiter = delimiter.first ?? ","
        return preparer
    }

    private func names(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
