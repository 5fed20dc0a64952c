// Checkpoint save and restore throughput for a large model with Adam state (issue 5): the
// in-memory copy of the state (what training waits for: CheckpointWriter writes in the
// background), the HDF5 write with fsync, and the read back with checksum verification.
import Checkpoints
import Comm
import Foundation
import Tensors

enum CheckpointBench {
    static func run(parameters: Int, repetitions: Int, directory: String) throws {
        let perTensor = 1 << 22                        // 4 Mi floats per named parameter
        let count = (parameters + perTensor - 1) / perTensor
        var generator = Generator(seed: 1)
        let values = (0..<parameters).map { _ in generator.uniform(-1, 1) }
        func slices() -> [(name: String, shape: [Int], values: [Float])] {
            (0..<count).map { index in
                let range = (index * perTensor)..<min(parameters, (index + 1) * perTensor)
                return ("layers.\(index).weight", [range.count], values.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[range])) })
            }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/bench-checkpoint.h5"
        var copy: [Double] = [], write: [Double] = [], cached: [Double] = [], read: [Double] = []
        for _ in 0..<repetitions {
            let t0 = monotonicSeconds()
            let checkpoint = Checkpoint(step: 1, epoch: 0, stepInEpoch: 1, worldSize: 1, seed: 1, config: "bench",
                                        parameters: slices(), optimizer: "adam", optimizerStepCount: 1,
                                        optimizerState: [("exp_avg", values.withUnsafeBufferPointer { Array($0) }),
                                                         ("exp_avg_sq", values.withUnsafeBufferPointer { Array($0) })], scalars: [:])
            let t1 = monotonicSeconds()
            try checkpoint.write(to: path)
            let t2 = monotonicSeconds()
            _ = try Checkpoint.read(path: path)
            let t3 = monotonicSeconds()
            try FileManager.default.removeItem(atPath: path)
            let t4 = monotonicSeconds()
            try checkpoint.write(to: path, durable: false)
            let t5 = monotonicSeconds()
            copy.append(t1 - t0); write.append(t2 - t1); read.append(t3 - t2); cached.append(t5 - t4)
            try FileManager.default.removeItem(atPath: path)
        }
        let bytes = Double(parameters * 3 * 4)
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        print("checkpoint of \(parameters) parameters + Adam state (\(String(format: "%.2f", bytes / 1e9)) GB), median of \(repetitions):")
        print("  copy state in memory   \(String(format: "%.3f", median(copy))) s  (\(String(format: "%.2f", bytes / median(copy) / 1e9)) GB/s)")
        print("  write (HDF5 + fsync)   \(String(format: "%.3f", median(write))) s  (\(String(format: "%.2f", bytes / median(write) / 1e9)) GB/s)")
        print("  write to page cache    \(String(format: "%.3f", median(cached))) s  (\(String(format: "%.2f", bytes / median(cached) / 1e9)) GB/s, no fsync)")
        print("  read + verify          \(String(format: "%.3f", median(read))) s  (\(String(format: "%.2f", bytes / median(read) / 1e9)) GB/s)")
        print("RESULT checkpoint parameters=\(parameters) copy_s=\(median(copy)) write_s=\(median(write)) cached_write_s=\(median(cached)) read_s=\(median(read)) bytes=\(Int(bytes))")
    }
}
