// Writes checkpoints on a background thread, so training stalls only for the in-memory copy of
// the state (the Checkpoint value), not for the HDF5 write and fsync.
import Foundation

/// One checkpoint write at a time, off the training thread.
///
/// `submit` first waits for the previous write (so at most one copy of the state is held), then
/// starts writing the new one; `wait` blocks until the last write is on disk and rethrows its
/// error. A write is atomic (`Checkpoint.write`), so a crash during it leaves only a `.partial`.
public final class CheckpointWriter: @unchecked Sendable {
    private let directory: CheckpointDirectory
    private let keepLast: Int
    private let done = DispatchSemaphore(value: 1)
    private let lock = NSLock()
    private var failure: (any Error)?

    /// A writer into `directory` keeping the newest `keepLast` checkpoints.
    public init(directory: CheckpointDirectory, keepLast: Int) {
        self.directory = directory
        self.keepLast = keepLast
    }

    /// Starts writing `checkpoint` in the background (after the previous write has finished);
    /// with `alsoAsBest`, it is also written as the directory's `best.h5`.
    /// - Throws: the previous write's error, if it failed.
    public func submit(_ checkpoint: Checkpoint, alsoAsBest: Bool = false) throws {
        try wait()
        done.wait()
        let thread = Thread { [self] in
            do {
                try directory.save(checkpoint, keepLast: keepLast)
                if alsoAsBest { try directory.saveBest(checkpoint) }
            } catch {
                lock.lock()
                failure = error
                lock.unlock()
            }
            done.signal()
        }
        thread.start()
    }

    /// Blocks until no write is in progress; rethrows the last write's error.
    public func wait() throws {
        done.wait()
        done.signal()
        lock.lock()
        defer { lock.unlock() }
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}
