// Heap allocations per training step (counted by the CAllocCount interposers) and the peak
// resident memory of the process (getrusage), for issue 8's memory targets.
import CAllocCount
import Glibc

enum Memory {
    /// Runs `body` `times` times and returns the heap allocations the calling thread made per
    /// call (mean). Other threads' allocations are not counted.
    static func allocationsPerCall(_ times: Int, _ body: () throws -> Void) rethrows -> Double {
        let before = alloc_count_thread()
        for _ in 0..<times { try body() }
        return Double(alloc_count_thread() - before) / Double(max(times, 1))
    }

    /// Allocations by the calling thread so far.
    static var threadAllocations: UInt64 { alloc_count_thread() }

    /// Allocations by every thread of the process so far.
    static var totalAllocations: UInt64 { alloc_count_total() }

    /// The peak resident set size of this process, in MiB (Linux reports ru_maxrss in KiB).
    static var peakResidentMegabytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
