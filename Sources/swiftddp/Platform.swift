// The few POSIX calls the CLI makes directly.
import Glibc

/// `write(2)`, under a name that does not clash with `TextOutputStream.write`.
func writeBytes(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    Glibc.write(descriptor, bytes, count)
}

/// The number of CPUs online on this node (`sysconf`), whatever this process's binding.
func onlineCPUCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
