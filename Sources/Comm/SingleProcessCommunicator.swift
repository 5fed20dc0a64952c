// Rank 0 of 1: every collective is the identity (llm.c's single-process fallback).

/// The communicator of a job with one process; every collective returns its input.
public final class SingleProcessCommunicator: Communicator {
    /// Creates the communicator.
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduce(inPlace buffer: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws {}
    public func allGather(_ value: UInt64) throws -> [UInt64] { [value] }
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws {}
    public func barrier() throws {}
    public func abort(code: Int32) {}
}
