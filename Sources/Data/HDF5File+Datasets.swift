// Writing and reading whole datasets, or a range of their rows, with HDF5 converting element
// types on read. Datasets are always contiguous and uncompressed (platform.md §2d: gzip is 20×
// slower to read).
import CHDF5
import Tensors

extension HDF5File {
    // MARK: - Writing

    /// Writes `values` as a new contiguous float32 dataset of `shape` (missing parent groups are created).
    ///
    /// - Precondition: `shape`'s product equals `values.count`.
    /// - Throws: `HDF5Error.call` if the dataset cannot be created (e.g. it already exists).
    public func write(_ values: UnsafeBufferPointer<Float>, shape: [Int], to name: String) throws {
        try writeDataset(name, shape: shape, count: values.count, type: chdf5_native_float(), values.baseAddress)
    }

    /// Writes `values` as a new contiguous float32 dataset of `shape`.
    public func write(_ values: [Float], shape: [Int], to name: String) throws {
        try values.withUnsafeBufferPointer { try write($0, shape: shape, to: name) }
    }

    /// Writes a tensor's elements as a new contiguous float32 dataset of the tensor's shape.
    public func write(_ tensor: Tensor, to name: String) throws {
        try write(UnsafeBufferPointer(tensor.buffer), shape: tensor.shape, to: name)
    }

    /// Writes `values` as a new contiguous uint8 dataset of `shape`.
    public func write(_ values: UnsafeBufferPointer<UInt8>, shape: [Int], to name: String) throws {
        try writeDataset(name, shape: shape, count: values.count, type: chdf5_native_uint8(), values.baseAddress)
    }

    /// Writes `values` as a new contiguous uint8 dataset of `shape`.
    public func write(_ values: [UInt8], shape: [Int], to name: String) throws {
        try values.withUnsafeBufferPointer { try write($0, shape: shape, to: name) }
    }

    /// Writes `values` as a new contiguous int32 dataset of `shape`.
    public func write(_ values: [Int32], shape: [Int], to name: String) throws {
        try values.withUnsafeBufferPointer {
            try writeDataset(name, shape: shape, count: $0.count, type: chdf5_native_int32(), $0.baseAddress)
        }
    }

    /// Writes `values` as a new contiguous int64 dataset of `shape`.
    public func write(_ values: [Int64], shape: [Int], to name: String) throws {
        try values.withUnsafeBufferPointer {
            try writeDataset(name, shape: shape, count: $0.count, type: chdf5_native_int64(), $0.baseAddress)
        }
    }

    private func writeDataset(
        _ name: String, shape: [Int], count: Int, type: hid_t, _ values: UnsafeRawPointer?
    ) throws {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count,
                     "HDF5File.write: \(count) values for shape \(shape) of \(name)")
        let space = try makeSpace(shape, name)
        defer { H5Sclose(space) }
        let linkProperties = try linkCreationProperties(name)
        defer { H5Pclose(linkProperties) }
        let datasetProperties = try call("H5Pcreate", name) { H5Pcreate(chdf5_p_dataset_create()) }
        defer { H5Pclose(datasetProperties) }
        // No modification times, so that the same contents always give the same bytes.
        try call("H5Pset_obj_track_times", name) { H5Pset_obj_track_times(datasetProperties, false) }
        let dataset = try call("H5Dcreate2", name) {
            H5Dcreate2(id, name, type, space, linkProperties, datasetProperties, chdf5_p_default())
        }
        defer { H5Dclose(dataset) }
        if count > 0 {
            try call("H5Dwrite", name) { H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, chdf5_p_default(), values) }
        }
    }

    /// A simple dataspace of `shape`, or a scalar one for `[]`; the caller closes it.
    func makeSpace(_ shape: [Int], _ object: String) throws -> hid_t {
        if shape.isEmpty { return try call("H5Screate", object) { H5Screate(H5S_SCALAR) } }
        let dims = shape.map { hsize_t($0) }
        return try call("H5Screate_simple", object) { H5Screate_simple(Int32(dims.count), dims, nil) }
    }

    // MARK: - Reading

    /// Reads a whole numeric dataset as `Float`s, with its shape.
    ///
    /// - Throws: `HDF5Error.missingObject`, `HDF5Error.typeMismatch` for non-numeric data.
    public func readFloats(_ name: String) throws -> (values: [Float], shape: [Int]) {
        try readArray(name, rows: nil, type: chdf5_native_float(), expected: "float32", integerOnly: false)
    }

    /// Reads a whole numeric dataset into a new tensor of the dataset's shape.
    public func readTensor(_ name: String) throws -> Tensor {
        let (shape, _) = try datasetInfo(name)
        let tensor = Tensor(zeros: shape)
        try readFloatRows(name, rows: nil, into: tensor.buffer)
        return tensor
    }

    /// Reads a whole integer dataset as `Int32`s, with its shape (wider values are clipped by HDF5).
    public func readInt32s(_ name: String) throws -> (values: [Int32], shape: [Int]) {
        try readArray(name, rows: nil, type: chdf5_native_int32(), expected: "int32", integerOnly: true)
    }

    /// Reads a whole integer dataset as `Int64`s, with its shape.
    public func readInt64s(_ name: String) throws -> (values: [Int64], shape: [Int]) {
        try readArray(name, rows: nil, type: chdf5_native_int64(), expected: "int64", integerOnly: true)
    }

    /// Reads a whole numeric dataset as `Double`s, with its shape.
    public func readDoubles(_ name: String) throws -> (values: [Double], shape: [Int]) {
        try readArray(name, rows: nil, type: chdf5_native_double(), expected: "float64", integerOnly: false)
    }

    /// Reads the rows `rows` (a hyperslab over the first dimension) of a numeric dataset as `Float`s.
    ///
    /// - Throws: `HDF5Error.rowsOutOfRange` if `rows` reaches past the dataset.
    public func readFloatRows(_ name: String, rows: Range<Int>) throws -> [Float] {
        try readArray(name, rows: rows, type: chdf5_native_float(), expected: "float32", integerOnly: false).values
    }

    /// Reads the rows `rows` of an integer dataset as `Int32`s.
    public func readInt32Rows(_ name: String, rows: Range<Int>) throws -> [Int32] {
        try readArray(name, rows: rows, type: chdf5_native_int32(), expected: "int32", integerOnly: true).values
    }

    /// Reads the rows `rows` of a numeric dataset as `Double`s.
    public func readDoubleRows(_ name: String, rows: Range<Int>) throws -> [Double] {
        try readArray(name, rows: rows, type: chdf5_native_double(), expected: "float64", integerOnly: false).values
    }

    /// Reads `rows` (or every row when `nil`) of a numeric dataset as `Float`s into `buffer`,
    /// converting in HDF5 with no intermediate copy; the fast path for loading shards.
    ///
    /// - Precondition: `buffer.count` equals the number of elements read.
    public func readFloatRows(_ name: String, rows: Range<Int>?, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        try withDataset(name) { dataset, space, shape in
            try read(dataset, space, shape, name, rows: rows, type: chdf5_native_float(), expected: "float32",
                     integerOnly: false, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: buffer.count)
        }
    }

    /// Reads `rows` (or every row when `nil`) of an integer dataset as bytes into `buffer` (HDF5
    /// clips values outside 0...255; callers read uint8 datasets only).
    ///
    /// - Precondition: `buffer.count` equals the number of elements read.
    public func readByteRows(_ name: String, rows: Range<Int>?, into buffer: UnsafeMutableBufferPointer<UInt8>) throws {
        try withDataset(name) { dataset, space, shape in
            try read(dataset, space, shape, name, rows: rows, type: chdf5_native_uint8(), expected: "uint8",
                     integerOnly: true, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: buffer.count)
        }
    }

    /// Opens dataset `name` with its dataspace and shape for the duration of `body`.
    func withDataset<Result>(_ name: String, _ body: (hid_t, hid_t, [Int]) throws -> Result) throws -> Result {
        guard exists(name) else { throw HDF5Error.missingObject(file: path, name: name) }
        let dataset = try call("H5Dopen2", name) { H5Dopen2(id, name, chdf5_p_default()) }
        defer { H5Dclose(dataset) }
        let space = try call("H5Dget_space", name) { H5Dget_space(dataset) }
        defer { H5Sclose(space) }
        return try body(dataset, space, try dimensions(of: space, name))
    }

    private func readArray<Element>(
        _ name: String, rows: Range<Int>?, type: hid_t, expected: String, integerOnly: Bool
    ) throws -> (values: [Element], shape: [Int]) {
        try withDataset(name) { dataset, space, shape in
            var outShape = shape
            if let rows, !shape.isEmpty { outShape[0] = rows.count }
            let count = outShape.reduce(1, *)
            let values = try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
                try read(dataset, space, shape, name, rows: rows, type: type, expected: expected,
                         integerOnly: integerOnly, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: count)
                initialized = count
            }
            return (values, outShape)
        }
    }

    /// Reads `rows` (or everything) of an open dataset into `destination`, converted to `type`.
    private func read(
        _ dataset: hid_t, _ space: hid_t, _ shape: [Int], _ name: String, rows: Range<Int>?, type: hid_t,
        expected: String, integerOnly: Bool, into destination: UnsafeMutableRawPointer?, capacity: Int
    ) throws {
        let fileType = try call("H5Dget_type", name) { H5Dget_type(dataset) }
        defer { H5Tclose(fileType) }
        let stored = ElementType(typeID: fileType)
        guard integerOnly ? stored.isInteger : stored.isNumeric else {
            throw HDF5Error.typeMismatch(file: path, object: name, found: stored.description, expected: expected)
        }
        guard let rows else {
            precondition(capacity == shape.reduce(1, *), "HDF5File: buffer of \(capacity) for \(name) \(shape)")
            if capacity > 0 {
                try call("H5Dread", name) { H5Dread(dataset, type, H5S_ALL, H5S_ALL, chdf5_p_default(), destination) }
            }
            return
        }
        let rowCount = shape.first ?? 1
        guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= rowCount else {
            throw HDF5Error.rowsOutOfRange(file: path, object: name, rows: rows, rowCount: rowCount)
        }
        var count = shape
        count[0] = rows.count
        precondition(capacity == count.reduce(1, *), "HDF5File: buffer of \(capacity) for rows \(rows) of \(name)")
        if capacity == 0 { return }
        var start = [hsize_t](repeating: 0, count: shape.count)
        start[0] = hsize_t(rows.lowerBound)
        let slabCount = count.map { hsize_t($0) }
        try call("H5Sselect_hyperslab", name) { H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nil, slabCount, nil) }
        let memorySpace = try makeSpace(count, name)
        defer { H5Sclose(memorySpace) }
        try call("H5Dread", name) { H5Dread(dataset, type, memorySpace, space, chdf5_p_default(), destination) }
    }
}
