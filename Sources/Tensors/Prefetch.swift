// Software prefetch: start loading memory that will be read soon, without waiting for it.
import CPrefetch

/// Asks the core to start loading the `bytes` (whole cache lines) at `address` for reading, and
/// returns at once. For reads the hardware cannot predict: the loader gathers a batch from random
/// rows of a shard, and each row's first lines come from memory while the row before is copied
/// (docs/performance.md: a batch of 128 rows 1.3–1.8 × faster). A hint: it never faults and never
/// changes a value.
public func prefetch(_ address: UnsafeRawPointer, bytes: Int) {
    swiftddp_prefetch(address, bytes)
}
