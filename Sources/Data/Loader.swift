// The training batch order: a pure function of (seed, epoch, shard), so every run with the same
// seed sees the same batches, whatever the world size, and a resumed run needs only the step.
import Tensors

/// One training batch: features (N, D…) and class labels (N) or float targets (N, K).
public struct Batch {
    /// The features, a view into the loader's buffer, valid until the next `batch` call.
    public let features: Tensor
    /// The class labels (classification); empty for regression.
    public let labels: [Int32]
    /// The float targets (N, K) for regression, a view into the loader's buffer valid until the
    /// next `batch` call; `nil` for classification.
    public let targets: Tensor?
}

/// Draws the training batches of one rank from the shards it holds.
///
/// Each shard `j` (identified by its global index) is shuffled once per epoch by
/// `Generator(seed:, keys: [Purpose.shuffle, epoch, j])`. A batch of `batchSize` rows takes an
/// equal part from each shard the rank holds (the first `batchSize % shards` shards give one row
/// more), slice `step` of that shard's shuffled order. So the union over ranks of step `k`'s
/// batches is the same set of samples whether the shards are spread over N ranks or held by one
/// process with an N-times larger batch.
///
/// An epoch has `min over shards ⌊rows / part⌋` steps: a batch is never short, and rows left
/// over in longer shards are skipped for that epoch (different ones each epoch when shuffling).
///
/// With an `augmentation`, every row is copied through it; its random choice for a row is keyed by
/// the row's global identity (`origins`: the shard file's index and the file row of the shard's
/// first row), drawn for all rows once per epoch, so batches allocate nothing.
public final class TrainingLoader {
    /// The shards, with their global indices.
    public let shards: [(index: Int, shard: DatasetShard)]
    /// Rows per batch on this rank.
    public let batchSize: Int
    /// Rows each shard contributes to one batch.
    public let parts: [Int]
    /// Whether to reshuffle every epoch (false: file order).
    public let shuffle: Bool
    /// The seed of the run.
    public let seed: UInt64
    /// Full batches this rank can draw per epoch.
    public let stepsPerEpoch: Int
    /// The augmentation applied to every training row (identity: a plain copy).
    public let augmentation: Augmentation
    /// Per shard: the file index and file row that key its rows' augmentation.
    public let origins: [(file: Int, firstRow: Int)]

    /// The shape of a batch of features, (batchSize, sample shape…).
    private let batchShape: [Int]
    /// Two label arrays used in turn, so that a step reuses the one of two steps ago, which nobody
    /// holds any more (the loss keeps the last batch's labels until its next forward).
    private var labelBuffers: [[Int32]] = [[], []]
    private var nextLabelBuffer = 0
    private var orderEpoch = -1
    private var orders: [[Int]] = []
    private var choices: [[Augmentation.Choice]] = []    // per shard and row, for `orderEpoch`
    private let imageShape: (channels: Int, height: Int, width: Int)
    private var buffer = Workspace()
    private var targetBuffer = Workspace()
    /// One normalized row of a byte shard, for the augmentation to read.
    private let scratchRow: UnsafeMutablePointer<Float>

    /// Plans batches of `batchSize` rows over `shards`.
    ///
    /// - Parameters:
    ///   - augmentation: applied to every row of every batch; needs (C, H, W) or (H, W) samples.
    ///   - origins: per shard, the file index and first file row that name its rows globally
    ///     (default: the shard's `index` and row 0, right when every shard is a whole file).
    /// - Throws: `LoaderError` if there are no shards, the batch is smaller than the number of
    ///   shards, some shard cannot fill one batch, or the samples are not images but an
    ///   augmentation is asked for.
    public init(shards: [(index: Int, shard: DatasetShard)], batchSize: Int, seed: UInt64, shuffle: Bool = true,
                augmentation: Augmentation = Augmentation(), origins: [(file: Int, firstRow: Int)]? = nil) throws {
        guard !shards.isEmpty else { throw LoaderError("no training shards to load") }
        guard batchSize >= shards.count else {
            throw LoaderError("batch size \(batchSize) is smaller than the \(shards.count) shards this rank holds; "
                + "each batch takes at least one row from each shard")
        }
        let (first, rowLength) = (shards[0].shard, shards[0].shard.features.rowLength)
        for (_, shard) in shards where shard.features.rowLength != rowLength {
            throw LoaderError("\(shard.path) has \(shard.features.rowLength) features per sample but \(first.path) has \(rowLength)")
        }
        for (_, shard) in shards where shard.task != first.task || shard.numTargets != first.numTargets {
            throw LoaderError("\(shard.path) holds \(shard.task.rawValue) data with \(shard.numTargets) target(s) "
                + "but \(first.path) holds \(first.task.rawValue) data with \(first.numTargets)")
        }
        let parts = (0..<shards.count).map { batchSize / shards.count + ($0 < batchSize % shards.count ? 1 : 0) }
        let steps = zip(shards, parts).map { $0.shard.count / $1 }.min() ?? 0
        guard steps > 0 else {
            let (shard, part) = zip(shards, parts).first { $0.shard.count < $1 }.map { ($0.0.shard, $0.1) } ?? (shards[0].shard, parts[0])
            throw LoaderError("\(shard.path) has \(shard.count) samples, fewer than the \(part) it must give to every batch "
                + "(batch size \(batchSize)); lower training.batch_size")
        }
        let shape = shards[0].shard.featureShape
        if !augmentation.isIdentity && !(shape.count == 3 || shape.count == 2) {
            throw LoaderError("data.augmentation needs image samples, (channels, height, width) or (height, width), "
                + "but \(shards[0].shard.path) has feature shape \(shape); set its feature_shape attribute or turn augmentation off")
        }
        let origins = origins ?? shards.map { (file: $0.index, firstRow: 0) }
        precondition(origins.count == shards.count, "TrainingLoader: \(origins.count) origins for \(shards.count) shards")
        self.shards = shards
        self.batchSize = batchSize
        self.parts = parts
        self.shuffle = shuffle
        self.seed = seed
        self.stepsPerEpoch = steps
        self.batchShape = [batchSize] + Array(shards[0].shard.features.shape.dropFirst())
        self.augmentation = augmentation
        self.origins = origins
        self.imageShape = shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape.first ?? 1, shape.count > 1 ? shape[1] : 1)
        self.scratchRow = .allocate(capacity: max(rowLength, 1))
        scratchRow.initialize(repeating: 0, count: max(rowLength, 1))
    }

    deinit { scratchRow.deallocate() }

    /// How many rows ahead of the copy the gather prefetches, and how much of each row: the
    /// first 8 cache lines, after which the hardware streams the rest of the row. Chosen by
    /// measurement (docs/performance.md): 2 and 8 rows ahead gave the same, 4 a little less; whole rows, or
    /// 1 KiB, were slower.
    static let prefetchDistance = 8
    static let prefetchBytes = 512

    /// The batch at `step` (0-based, within the epoch) of `epoch` (0-based).
    public func batch(epoch: Int, step: Int) -> Batch {
        precondition(step >= 0 && step < stepsPerEpoch, "TrainingLoader: step \(step) outside 0..<\(stepsPerEpoch)")
        if orderEpoch != epoch { reorder(epoch: epoch) }
        let features = buffer.tensor(batchShape)
        let rowLength = features.rowLength
        let k = shards[0].shard.numTargets
        let targets = k > 0 ? targetBuffer.tensor(batchSize, k) : nil
        var labels = labelBuffers[nextLabelBuffer]   // unique after the swap below: no copy, no allocation
        labelBuffers[nextLabelBuffer] = []
        labels.removeAll(keepingCapacity: true)
        labels.reserveCapacity(targets == nil ? batchSize : 0)
        var row = 0
        for (j, (_, shard)) in shards.enumerated() {
            let source = shard.features
            let rows = orders[j][(step * parts[j])..<((step + 1) * parts[j])]
            // the first lines of the rows a few rows ahead of the copy: the rows are random, so the
            // hardware cannot guess them, but once a row's first lines arrive it streams the rest
            for i in rows.prefix(Self.prefetchDistance) { prefetch(source.address(ofRow: i), bytes: Self.prefetchBytes) }
            for (position, i) in zip(rows.indices, rows) {
                if position + Self.prefetchDistance < rows.endIndex {
                    prefetch(source.address(ofRow: rows[position + Self.prefetchDistance]), bytes: Self.prefetchBytes)
                }
                if augmentation.isIdentity {
                    source.copyRow(i, to: features.pointer + row * rowLength)
                } else {
                    // byte rows are normalized into a scratch row first: the same floats as a float shard's row
                    let image: UnsafePointer<Float>
                    if let floats = source.tensor {
                        image = UnsafePointer(floats.pointer + i * rowLength)
                    } else {
                        source.copyRow(i, to: scratchRow)
                        image = UnsafePointer(scratchRow)
                    }
                    augmentation.apply(choices[j][i], image: image, shape: imageShape, fill: shard.zeroValue,
                                       into: features.pointer + row * rowLength)
                }
                if let targets, let values = shard.targets {
                    (targets.pointer + row * k).update(from: values.pointer + i * k, count: k)
                } else {
                    labels.append(shard.labels[i])
                }
                row += 1
            }
        }
        labelBuffers[nextLabelBuffer] = labels
        nextLabelBuffer = 1 - nextLabelBuffer
        return Batch(features: features, labels: labels, targets: targets)
    }

    private func reorder(epoch: Int) {
        orders = shards.map { index, shard in
            guard shuffle else { return Array(0..<shard.count) }
            var generator = Generator(seed: seed, keys: [Purpose.shuffle, UInt64(epoch), UInt64(index)])
            return generator.permutation(shard.count)
        }
        if !augmentation.isIdentity {
            choices = zip(shards, origins).map { entry, origin in
                (0..<entry.shard.count).map { augmentation.choice(seed: seed, epoch: epoch, shard: origin.file, row: origin.firstRow + $0) }
            }
        }
        orderEpoch = epoch
    }
}

/// A training batch plan that cannot work with the given shards.
public struct LoaderError: Error, CustomStringConvertible {
    /// What is wrong, naming the shard file.
    public let description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
