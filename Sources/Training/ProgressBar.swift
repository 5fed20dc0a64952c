// The rank-0 progress bar, redrawn in place on a terminal:
// `epoch 2/5 ██████████▍         120/214 | loss 0.4123 | 51234 samples/s | ETA 0:42`.
// On a pipe or file the console keeps its plain epoch lines (`logging.progress`).
import Comm
import Foundation

/// Draws the progress of training on rank 0's terminal, at most ten times a second.
final class ProgressBar {
    private let console: Console
    private let epochs: Int
    private let totalSteps: Int
    private let globalBatch: Int
    private let startStep: Int
    private let start = monotonicSeconds()
    private var epochStart = (epoch: -1, time: 0.0, step: 0)
    private var lastDraw = -1.0

    /// A bar for rank 0, or nil when the console is silent, `mode` is `lines`, or `mode` is
    /// `auto` and stdout is not a terminal.
    init?(console: Console, mode: String, epochs: Int, totalSteps: Int, startStep: Int, globalBatch: Int) {
        guard console.enabled, mode == "bar" || (mode == "auto" && ProgressBar.stdoutIsTerminal()) else { return nil }
        self.console = console
        self.epochs = epochs
        self.totalSteps = totalSteps
        self.startStep = startStep
        self.globalBatch = globalBatch
    }

    /// Shows that `step` steps are done, `stepInEpoch` of `stepsThisEpoch` in 0-based `epoch`,
    /// with the epoch's running mean loss so far.
    func update(step: Int, epoch: Int, stepInEpoch: Int, stepsThisEpoch: Int, loss: Double) {
        let now = monotonicSeconds()
        if epoch != epochStart.epoch { epochStart = (epoch, now, step) }   // the rate counts the steps after this one
        guard now - lastDraw >= 0.1 || stepInEpoch == stepsThisEpoch else { return }
        lastDraw = now
        let fraction = stepsThisEpoch > 0 ? Double(stepInEpoch) / Double(stepsThisEpoch) : 1
        let rate = now > epochStart.time ? Double((step - epochStart.step) * globalBatch) / (now - epochStart.time) : 0
        let perStep = step > startStep ? (now - start) / Double(step - startStep) : 0
        console.showProgress("epoch \(epoch + 1)/\(epochs) \(ProgressBar.bar(fraction, width: 20)) \(stepInEpoch)/\(stepsThisEpoch)"
            + " | loss \(fixed(loss, 4)) | \(Int(rate)) samples/s | ETA \(ProgressBar.clock(perStep * Double(totalSteps - step)))")
    }

    /// Whether stdout ends in a terminal. MPI launchers hand every rank a pseudo-terminal even
    /// when their own output goes to a file, so under a launcher only `SWIFTDDP_STDOUT_IS_TTY`
    /// (set by launch/mpirun.sh from mpirun's stdout) says yes.
    static func stdoutIsTerminal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        if let flag = environment["SWIFTDDP_STDOUT_IS_TTY"] { return flag == "1" }
        let launched = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"].contains { environment[$0] != nil }
        return !launched && isatty(STDOUT_FILENO) != 0
    }

    /// `fraction` of `width` cells in eighths of a block.
    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        let text = String(repeating: "█", count: eighths / 8) + partial
        return text + String(repeating: " ", count: width - eighths / 8 - (partial.isEmpty ? 0 : 1))
    }

    /// `m:ss`, or `h:mm:ss` from an hour on.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds).rounded())
        let (hours, minutes, secs) = (whole / 3600, (whole % 3600) / 60, whole % 60)
        let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(secs))" : "\(minutes):\(two(secs))"
    }
}
