// Rank-0 output (llm.c's printf0): progress lines go to stdout and, once the run directory
// exists, to its train.log. Libraries below Training never print.
import Glibc

/// Prints on rank 0 only, to stdout and to the run's `train.log`.
public final class Console: @unchecked Sendable {
    /// The rank this process is.
    public let rank: Int
    /// Whether `print0` writes anything (false on ranks other than 0, and when quiet).
    public let enabled: Bool
    private var log: UnsafeMutablePointer<FILE>?
    private var beforeLog: [String] = []   // lines printed before the run directory existed
    private var progressShown = false      // a progress bar line is on the terminal, without newline

    /// A console for `rank`; `quiet` silences rank 0 too (tests, simulated ranks).
    public init(rank: Int, quiet: Bool = false) {
        self.rank = rank
        self.enabled = rank == 0 && !quiet
    }

    deinit { closeLog() }

    /// Also appends every later line to `path`.
    func openLog(path: String, append: Bool) {
        closeLog()
        log = fopen(path, append ? "a" : "w")
        if let log {
            for line in beforeLog { fputs(line + "\n", log) }
            fflush(log)
        }
        beforeLog.removeAll()
    }

    func closeLog() {
        if let log { fclose(log) }
        log = nil
    }

    /// Prints `line` on rank 0 (and to train.log); other ranks stay silent.
    public func print0(_ line: String) {
        guard rank == 0 else { return }
        if enabled {
            clearProgress()
            print(line)
            fflush(nil)  // all streams: Swift 6 forbids touching the C global `stdout`
        }
        if let log {
            fputs(line + "\n", log)
            fflush(log)
        } else {
            beforeLog.append(line)
        }
    }

    /// Replaces the current terminal line with `text` (the progress bar); not logged.
    func showProgress(_ text: String) {
        guard enabled else { return }
        print("\r" + text + "\u{1B}[K", terminator: "")
        fflush(nil)
        progressShown = true
    }

    /// Erases the progress bar line, so that the next line starts clean.
    func clearProgress() {
        guard progressShown else { return }
        print("\r\u{1B}[K", terminator: "")
        progressShown = false
    }
}
