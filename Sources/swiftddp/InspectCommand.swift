// `swiftddp inspect`: show what an HDF5 shard or checkpoint holds.
import ArgumentParser
import Checkpoints
import Data
import NN

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print what an HDF5 file holds: a dataset shard, a checkpoint (verifying its checksum), or weights.")

    @Argument(help: "The .h5 file.")
    var file: String

    func run() throws {
        do {
            print(try describeHDF5File(path: file))
            if let format = try? HDF5File.open(path: file).readStringAttribute("format"), format == Checkpoint.format {
                let checkpoint = try Checkpoint.read(path: file)   // throws, naming the file, if the checksum is wrong
                print("checkpoint: step \(checkpoint.step), epoch \(checkpoint.epoch + 1) at step \(checkpoint.stepInEpoch), "
                    + "world size \(checkpoint.worldSize), \(checkpoint.optimizer) after \(checkpoint.optimizerStepCount) steps; "
                    + "checksum \(hexChecksum(checkpoint.checksum)) verified")
            }
        } catch {
            throw fail(error)
        }
    }
}
