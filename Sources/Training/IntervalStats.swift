// The numbers behind one train record of metrics.jsonl: loss, the task's metrics and where the
// time went over the steps since the last record.
import Foundation
import Metrics
import NN
import Tensors

/// Sums over the steps of one logging interval.
struct IntervalStats {
    private var tally: TaskTally
    private var steps = 0
    private var data = 0.0, compute = 0.0, communication = 0.0, exposed = 0.0, total = 0.0

    /// An empty interval of steps trained with `loss`.
    init(for loss: any Loss) {
        tally = TaskTally(for: loss)
    }

    mutating func add(loss: Float, outputs: Tensor, targets: Targets, data: Double, compute: Double,
                      communication: Double, exposedCommunication: Double, total: Double) {
        tally.add(meanLoss: loss, outputs: outputs, targets: targets)
        steps += 1
        self.data += data
        self.compute += compute
        self.communication += communication
        self.exposed += exposedCommunication
        self.total += total
    }

    /// The train record for this interval (docs/metrics.md).
    func record(step: Int, epoch: Int, learningRate: Float, gradientNorm: Float, globalBatch: Int) -> MetricsRecord {
        let perStep = 1000 / Double(max(steps, 1))
        var record = MetricsRecord()
        record["time"] = .number(Date().timeIntervalSince1970)
        record["step"] = .integer(step)
        record["epoch"] = .integer(epoch)
        record["split"] = .text("train")
        record["loss"] = .number(tally.loss)
        tally.addMetrics(to: &record)
        record["lr"] = .float(learningRate)
        record["grad_norm"] = .float(gradientNorm)
        record["samples_per_sec"] = .number((Double(steps * globalBatch) / total).rounded())
        record["step_ms"] = .number((total * perStep * 1000).rounded() / 1000)
        record["compute_ms"] = .number((compute * perStep * 1000).rounded() / 1000)
        record["comm_ms"] = .number((communication * perStep * 1000).rounded() / 1000)
        record["allreduce_wait_ms"] = .number((exposed * perStep * 1000).rounded() / 1000)
        record["data_ms"] = .number((data * perStep * 1000).rounded() / 1000)
        record["steps"] = .integer(steps)
        return record
    }
}

extension IntervalStats {
    /// A console line for a train record, llm.c style:
    /// `step  120/2000 | loss 0.4120 | acc 0.8750 | lr 5.00e-02 | norm 0.93 | 3.1 ms | 41234 samples/s`
    /// (`mae … | r2 …` in place of `acc` for a regression).
    static func line(_ record: MetricsRecord, totalSteps: Int) -> String {
        func number(_ key: String) -> Double { record[key]?.doubleValue ?? .nan }
        let width = String(totalSteps).count
        let step = String(Int(number("step")))
        return "step \(String(repeating: " ", count: max(0, width - step.count)))\(step)/\(totalSteps)"
            + " | loss \(fixed(number("loss"), 4)) | "
            + (record["accuracy"] != nil ? "acc \(fixed(number("accuracy"), 4))" : "mae \(fixed(number("mae"), 4)) | r2 \(fixed(number("r2"), 4))")
            + " | lr \(record["lr"]?.description ?? "-")"
            + " | norm \(fixed(number("grad_norm"), 3)) | \(fixed(number("step_ms"), 2)) ms"
            + " (compute \(fixed(number("compute_ms"), 2)), comm \(fixed(number("comm_ms"), 2)), data \(fixed(number("data_ms"), 2)))"
            + " | \(Int(number("samples_per_sec"))) samples/s"
    }
}
