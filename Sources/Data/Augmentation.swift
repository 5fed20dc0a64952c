// Seeded image augmentation of training samples: random shift (pad and crop) and horizontal flip,
// drawn per sample as a pure function of (seed, epoch, shard, row), so the world size, the rank a
// sample lands on and resuming never change what a sample looks like.
import Tensors

/// Random crop with zero padding and random horizontal flip of (C, H, W) images, as torchvision's
/// `RandomCrop(H, padding: p)` followed by `RandomHorizontalFlip(0.5)`:
///
///     out[c, y, x] = in[c, y + dy − p, x' + dx − p]   with x' = W − 1 − x if flipped, else x
///
/// and `fill` where that index falls outside the image. The offsets `dy`, `dx` are uniform in
/// `0...2p`, the flip has probability ½.
///
/// The draw for a sample is `Generator(seed: seed, keys: [Purpose.augmentation, epoch, shard,
/// row])`, where `shard` and `row` name the sample globally (the shard file's index and the row in
/// that file). It never depends on which rank holds the sample or on what was drawn before, so
/// `--simulate-ranks N`, `mpirun -np N`, one process with an N-times larger batch and a resumed
/// run all see the same augmented images.
///
/// ```swift
/// let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
/// let choice = augmentation.choice(seed: 42, epoch: 0, shard: 1, row: 17)
/// augmentation.apply(choice, image: source, shape: (1, 28, 28), fill: 0, into: target)
/// ```
public struct Augmentation: Equatable, Sendable {
    /// The padding p of the random crop (0: no shift).
    public var cropPadding: Int
    /// Whether to flip images left–right with probability ½.
    public var horizontalFlip: Bool

    /// One sample's random transformation.
    public struct Choice: Equatable, Sendable {
        /// The crop's vertical offset in the padded image, 0...2p (p: no shift).
        public var dy: Int
        /// The crop's horizontal offset in the padded image, 0...2p.
        public var dx: Int
        /// Whether the sample is flipped left–right.
        public var flip: Bool

        /// Creates a choice.
        public init(dy: Int, dx: Int, flip: Bool) {
            self.dy = dy
            self.dx = dx
            self.flip = flip
        }
    }

    /// Creates an augmentation; the defaults change nothing.
    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        precondition(cropPadding >= 0 && cropPadding < 128, "Augmentation: cropPadding must be in 0..<128, got \(cropPadding)")
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// Whether every sample passes unchanged.
    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

    /// The transformation of sample `row` of shard `shard` in `epoch` of a run seeded `seed`.
    public func choice(seed: UInt64, epoch: Int, shard: Int, row: Int) -> Choice {
        var generator = Generator(seed: seed, keys: [Purpose.augmentation, UInt64(epoch), UInt64(shard), UInt64(row)])
        let span = 2 * cropPadding + 1
        let dy = generator.nextInt(below: span), dx = generator.nextInt(below: span)
        let flip = generator.next() >> 63 == 1
        return Choice(dy: cropPadding > 0 ? dy : 0, dx: cropPadding > 0 ? dx : 0, flip: horizontalFlip && flip)
    }

    /// Writes the transformed `image` of `shape` (C, H, W) to `target` (both C·H·W floats, not
    /// overlapping); positions shifted in from outside the image get `fill`.
    public func apply(_ choice: Choice, image: UnsafePointer<Float>, shape: (channels: Int, height: Int, width: Int),
                      fill: Float, into target: UnsafeMutablePointer<Float>) {
        let (h, w, p) = (shape.height, shape.width, cropPadding)
        let shiftY = choice.dy - p, shiftX = choice.dx - p            // out[y, x] = in[y + shiftY, x″ + shiftX]
        // the output columns x″ (before the flip) whose source column lies inside 0..<W
        let first = min(w, max(0, -shiftX)), end = max(first, min(w, w - shiftX))
        for c in 0..<shape.channels {
            let plane = image + c * h * w, out = target + c * h * w
            for y in 0..<h {
                let row = out + y * w, sourceY = y + shiftY
                guard sourceY >= 0 && sourceY < h else {
                    row.update(repeating: fill, count: w)
                    continue
                }
                let source = plane + sourceY * w                       // in[c, sourceY, ·]
                if choice.flip {                                      // out[y, W−1−x″] = in[y+shiftY, x″+shiftX]
                    for x in 0..<first { row[w - 1 - x] = fill }
                    for x in first..<end { row[w - 1 - x] = source[x + shiftX] }
                    for x in end..<w { row[w - 1 - x] = fill }
                } else {
                    if first > 0 { row.update(repeating: fill, count: first) }
                    (row + first).update(from: source + (first + shiftX), count: end - first)
                    if end < w { (row + end).update(repeating: fill, count: w - end) }
                }
            }
        }
    }
}
