// The few POSIX calls the CLI makes directly.
import Foundation
import Glibc

/// `write(2)`, under a name that does not clash with `TextOutputStream.write`.
func writeBytes(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    Glibc.write(descriptor, bytes, count)
}

/// The number of CPUs this process may run on (its affinity mask), read from /proc because
/// `sched_getaffinity` is not visible through Glibc (platform.md §1).
func allowedCPUCount() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) {
        var count = 0
        for part in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2 { count += bounds[1] - bounds[0] + 1 } else if bounds.count == 1 { count += 1 }
        }
        if count > 0 { return count }
    }
    return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
