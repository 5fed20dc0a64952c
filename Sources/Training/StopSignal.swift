// SIGINT/SIGTERM become a request to stop at the end of the current step, which all ranks then
// agree on (design.md §4), instead of killing a rank in the middle of a collective.
import Glibc

nonisolated(unsafe) private var receivedSignal: sig_atomic_t = 0
nonisolated(unsafe) private var releaseOutputOnSignal = false

/// The process's stop request, set by SIGINT or SIGTERM.
public enum StopSignal {
    /// Routes SIGINT and SIGTERM to the stop request. A second signal of the same kind
    /// terminates at once (the default action is restored after the first). Call it on the main
    /// thread before starting others: it also unblocks both signals, which a parent process
    /// (a test runner, a launcher) may have blocked, and threads inherit that mask.
    ///
    /// `releasingOutput` is for ranks whose stdout and stderr are pipes or pseudo-terminals of
    /// their own, read by a launcher (`mpirun`, `srun`): on the signal they become non-blocking. `mpirun` stops reading
    /// the ranks' output when it is signalled itself, and a rank that printed faster than it read
    /// would otherwise stay blocked in a write, never reach the end of its step, and be killed
    /// before writing its stop checkpoint; now the lines that do not fit are dropped from stdout
    /// (`train.log` keeps them). Never for a terminal: its file description is the shell's too.
    public static func install(releasingOutput: Bool = false) {
        releaseOutputOnSignal = releasingOutput
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                receivedSignal = number
                signal(number, SIG_DFL)
                if releaseOutputOnSignal {   // fcntl is async-signal-safe
                    for descriptor in [STDOUT_FILENO, STDERR_FILENO] {
                        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                    }
                }
            }
        }
    }

    /// The signal received, or 0.
    public static var received: Int32 { Int32(receivedSignal) }

    /// The signal's name for messages.
    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(number)"
        }
    }
}
