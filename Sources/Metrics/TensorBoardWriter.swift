// TensorBoard scalars from metrics records: an event file in the run directory that
// `tensorboard --logdir RUN` shows (docs/metrics.md, "TensorBoard").
import Foundation
import Glibc

/// Writes metrics records as TensorBoard scalar events to
/// `<directory>/events.out.tfevents.<unix time>.<host>`.
///
/// Tags: `train/loss`, `train/accuracy`, `train/grad_norm` and any other train metric; `lr`;
/// `samples_per_sec`; `val/<metric>` and `test/<metric>` for every metric of val and test records.
/// A `resume` record at step S writes a `SessionLog.START` at step S + 1, so TensorBoard drops
/// the earlier segment's events that the resumed run repeats.
public final class TensorBoardWriter {
    /// The event file.
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?

    /// Creates `directory` if needed and a new event file in it (a suffix `.1`, `.2`, … keeps
    /// an earlier file of the same second).
    /// - Throws: `MetricsError.cannotOpen` naming the path.
    public init(directory: String, time: Double = Date().timeIntervalSince1970) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MetricsError.cannotOpen(path: directory, reason: error.localizedDescription)
        }
        var host = [CChar](repeating: 0, count: 256)
        let hostName = gethostname(&host, host.count) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let base = "\(directory)/events.out.tfevents.\(Int(time)).\(hostName)"
        var candidate = base, suffix = 0
        while FileManager.default.fileExists(atPath: candidate) {
            suffix += 1
            candidate = "\(base).\(suffix)"
        }
        path = candidate
        guard let file = fopen(candidate, "wb") else {
            throw MetricsError.cannotOpen(path: candidate, reason: String(cString: strerror(errno)))
        }
        self.file = file
        try append(TensorBoardEvent.fileVersion(wallTime: time))
    }

    deinit { close() }

    /// The scalars one record becomes, as (tag, value).
    public static func scalars(for record: MetricsRecord) -> [(tag: String, value: Float)] {
        guard let split = record.split, split != "resume" else { return [] }
        var scalars: [(tag: String, value: Float)] = []
        for (key, value) in record.fields {
            guard let number = value.doubleValue else { continue }
            if split == "train" {
                switch key {
                case "lr", "samples_per_sec": scalars.append((key, Float(number)))
                case "grad_norm": scalars.append(("train/grad_norm", Float(number)))
                case _ where !trainBookkeeping.contains(key): scalars.append(("train/" + key, Float(number)))
                default: break
                }
            } else if !evaluationBookkeeping.contains(key) {
                scalars.append(("\(split)/\(key)", Float(number)))
            }
        }
        return scalars
    }

    /// Writes the scalars of `record` at its step and time, flushed.
    public func write(_ record: MetricsRecord) throws {
        let time = record.number("time") ?? Date().timeIntervalSince1970
        if record.split == "resume" {
            try append(TensorBoardEvent.sessionStart(step: (record.step ?? 0) + 1, wallTime: time))
            return
        }
        let scalars = TensorBoardWriter.scalars(for: record)
        guard !scalars.isEmpty else { return }
        try append(TensorBoardEvent.scalars(scalars, step: record.step ?? 0, wallTime: time))
    }

    private func append(_ event: [UInt8]) throws {
        guard let file else { throw MetricsError.closed(path: path) }
        let frame = tfRecord(event)
        let written = frame.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == frame.count, fflush(file) == 0 else {
            throw MetricsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Closes the file; later writes throw.
    public func close() {
        if let file { fclose(file) }
        file = nil
    }
}
