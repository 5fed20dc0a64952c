// The few POSIX calls the CLI makes directly.
import Foundation
import Glibc

/// `write(2)`, under a name that does not clash with `TextOutputStream.write`.
func writeBytes(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    Glibc.write(descriptor, bytes, count)
}

/// The number of CPUs online on this node (`sysconf`), whatever this process's binding.
func onlineCPUCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// OpenBLAS threads for one rank: the CPUs it is bound to when the launcher bound it to fewer
/// than the node has (mpirun's default `--bind-to core`), otherwise the node's CPUs shared by
/// the ranks on the node (Open MPI's or SLURM's local task count, or the simulated ranks).
func defaultBLASThreads(simulatedRanks: Int) -> Int {
    let online = onlineCPUCount()
    let allowed = allowedCPUCount()
    if allowed < online { return max(1, allowed / max(1, simulatedRanks)) }
    let environment = ProcessInfo.processInfo.environment
    let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) }
        ?? environment["SLURM_NTASKS_PER_NODE"].flatMap { Int($0.prefix { $0.isNumber }) }
        ?? simulatedRanks
    return max(1, online / max(1, local))
}

/// The number of CPUs this process may run on (its affinity mask), read from /proc because
/// `sched_getaffinity` is not visible through Glibc (platform.md §1).
func allowedCPUCount() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
        return onlineCPUCount()
    }
    var count = 0
    for part in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
        let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "-").compactMap { Int($0) }
        if bounds.count == 2 { count += bounds[1] - bounds[0] + 1 } else if bounds.count == 1 { count += 1 }
    }
    return count > 0 ? count : onlineCPUCount()
}
