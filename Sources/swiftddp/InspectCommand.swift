// `swiftddp inspect`: show what an HDF5 shard or checkpoint holds.
import ArgumentParser
import Data

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the attributes and datasets of an HDF5 file (a dataset shard, or weights from --save-weights).")

    @Argument(help: "The .h5 file.")
    var file: String

    func run() throws {
        do {
            print(try describeHDF5File(path: file))
        } catch {
            throw fail(error)
        }
    }
}
