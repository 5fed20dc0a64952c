// A monotonic clock for step timing, without Foundation.
import Glibc

/// Seconds on the monotonic clock (arbitrary origin).
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}
