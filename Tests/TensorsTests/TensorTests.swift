import Tensors
import Testing

struct TensorTests {
    @Test func indexesRowMajor() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(x[1, 2] == 6)
        #expect(x.rows(1..<2).toArray() == [4, 5, 6])
        #expect(x.reshaped([3, 2])[2, 0] == 5)
    }

    @Test func viewsShareStorageAndCopiesDoNot() {
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let view = x.rows(1..<2)
        let copy = x.copy()
        view[0, 1] = 40
        #expect(x[1, 1] == 40)
        #expect(copy[1, 1] == 4)
    }

    @Test func storagesOfTwoMebibytesOrMoreStartOnAHugePageBoundaryAndAreZeroed() {
        // the default MLP's parameter store (535,818 floats) and a 100 MB shard are both above the
        // line; a layer's activations (128 × 512) are below it, wherever malloc puts them
        for count in [128 * 512, TensorStorage.hugePageBytes / 4 - 1, TensorStorage.hugePageBytes / 4, 535_818, 25_000_000] {
            let storage = TensorStorage(count: count)
            let address = Int(bitPattern: storage.buffer.baseAddress!)
            #expect(storage.buffer.count == count)
            if count * 4 >= TensorStorage.hugePageBytes {
                #expect(address % TensorStorage.hugePageBytes == 0, "\(count) floats at \(address)")
            }
            #expect(storage.buffer.allSatisfy { $0 == 0 })
            storage.buffer[count - 1] = 7
            #expect(storage.buffer[count - 1] == 7)
        }
    }

    @Test func workspaceReusesAndGrows() {
        var workspace = Workspace()
        let a = workspace.tensor([4, 4])
        let b = workspace.tensor([2, 4])
        #expect(a.storage === b.storage)
        let c = workspace.tensor([8, 4])
        #expect(c.storage !== a.storage)
    }

    @Test func shapeCacheReturnsTheSameArrayUntilTheDimensionsChange() {
        var cache = ShapeCache()
        let first = cache.shape(leading: 64, [28, 28])
        let again = cache.shape(leading: 64, [28, 28])
        #expect(first == [64, 28, 28])
        #expect(first.withUnsafeBufferPointer { $0.baseAddress } == again.withUnsafeBufferPointer { $0.baseAddress })
        #expect(cache.shape(leading: 32, [28, 28]) == [32, 28, 28])
        #expect(cache.shape(leading: 32, [784]) == [32, 784])
        #expect(cache.shape(32, 784) == [32, 784])
        #expect(cache.shape(32, 10) == [32, 10])
    }
}
