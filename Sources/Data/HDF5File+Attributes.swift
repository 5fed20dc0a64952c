// Attributes on the root group or on any dataset or group: integers (int64), floats (float32 or
// float64) and strings (variable-length UTF-8, the form h5py writes for `str`), scalars or 1-D.
import CHDF5
import Glibc

extension HDF5File {
    // MARK: - Writing

    /// Stores `value` as a scalar int64 attribute `name` on `object` (replacing an existing one).
    public func writeAttribute(_ name: String, _ value: Int, on object: String = "/") throws {
        var stored = Int64(value)
        try writeAttribute(name, on: object, shape: [], type: chdf5_native_int64(), &stored)
    }

    /// Stores `values` as a 1-D int64 attribute.
    public func writeAttribute(_ name: String, _ values: [Int], on object: String = "/") throws {
        var stored = values.map { Int64($0) }
        try writeAttribute(name, on: object, shape: [values.count], type: chdf5_native_int64(), &stored)
    }

    /// Stores `value` as a scalar float32 attribute.
    public func writeAttribute(_ name: String, _ value: Float, on object: String = "/") throws {
        var stored = value
        try writeAttribute(name, on: object, shape: [], type: chdf5_native_float(), &stored)
    }

    /// Stores `values` as a 1-D float32 attribute.
    public func writeAttribute(_ name: String, _ values: [Float], on object: String = "/") throws {
        var stored = values
        try writeAttribute(name, on: object, shape: [values.count], type: chdf5_native_float(), &stored)
    }

    /// Stores `value` as a scalar float64 attribute.
    public func writeAttribute(_ name: String, _ value: Double, on object: String = "/") throws {
        var stored = value
        try writeAttribute(name, on: object, shape: [], type: chdf5_native_double(), &stored)
    }

    /// Stores `value` as a scalar variable-length UTF-8 string attribute.
    public func writeAttribute(_ name: String, _ value: String, on object: String = "/") throws {
        try writeStrings(name, on: object, [value], shape: [])
    }

    /// Stores `values` as a 1-D variable-length UTF-8 string attribute.
    public func writeAttribute(_ name: String, _ values: [String], on object: String = "/") throws {
        try writeStrings(name, on: object, values, shape: [values.count])
    }

    private func writeStrings(_ name: String, on object: String, _ values: [String], shape: [Int]) throws {
        let type = try stringType(name)
        defer { H5Tclose(type) }
        var pointers: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try writeAttribute(name, on: object, shape: shape, type: type, &pointers)
    }

    /// A variable-length UTF-8 string type; the caller closes it.
    private func stringType(_ object: String) throws -> hid_t {
        let type = try call("H5Tcopy", object) { H5Tcopy(chdf5_c_s1()) }
        _ = H5Tset_size(type, chdf5_variable())
        _ = H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    private func writeAttribute(
        _ name: String, on object: String, shape: [Int], type: hid_t, _ data: UnsafeRawPointer
    ) throws {
        let label = attributeLabel(name, object)
        guard exists(object) else { throw HDF5Error.missingObject(file: path, name: object) }
        if try call("H5Aexists_by_name", label, { H5Aexists_by_name(id, object, name, chdf5_p_default()) }) > 0 {
            try call("H5Adelete_by_name", label) { H5Adelete_by_name(id, object, name, chdf5_p_default()) }
        }
        let space = try makeSpace(shape, label)
        defer { H5Sclose(space) }
        let attribute = try call("H5Acreate_by_name", label) {
            H5Acreate_by_name(id, object, name, type, space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        }
        defer { H5Aclose(attribute) }
        try call("H5Awrite", label) { H5Awrite(attribute, type, data) }
    }

    // MARK: - Reading

    /// Whether `object` has an attribute called `name` (`false` if `object` does not exist).
    public func hasAttribute(_ name: String, on object: String = "/") -> Bool {
        guard exists(object) else { return false }
        _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
        return H5Aexists_by_name(id, object, name, chdf5_p_default()) > 0
    }

    /// The names of `object`'s attributes, in name order.
    public func attributeNames(of object: String = "/") throws -> [String] {
        guard exists(object) else { throw HDF5Error.missingObject(file: path, name: object) }
        var info = H5O_info_t()
        try call("H5Oget_info_by_name2", object) {
            H5Oget_info_by_name2(id, object, &info, UInt32(H5O_INFO_NUM_ATTRS), chdf5_p_default())
        }
        return try (0..<info.num_attrs).map { index in
            let length = try call("H5Aget_name_by_idx", object) {
                H5Aget_name_by_idx(id, object, H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default())
            }
            var bytes = [CChar](repeating: 0, count: Int(length) + 1)
            try call("H5Aget_name_by_idx", object) {
                H5Aget_name_by_idx(id, object, H5_INDEX_NAME, H5_ITER_INC, index, &bytes, bytes.count,
                                   chdf5_p_default())
            }
            return String(decoding: bytes.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The shape (`[]` for a scalar) and element type of an attribute.
    public func attributeInfo(_ name: String, of object: String = "/") throws -> (shape: [Int], elementType: ElementType) {
        try withAttribute(name, of: object) { _, type, _, shape in (shape, ElementType(typeID: type)) }
    }

    /// Reads an integer attribute holding one value.
    ///
    /// - Throws: `HDF5Error.missingObject`, or `HDF5Error.typeMismatch` if it is not one integer.
    public func readIntAttribute(_ name: String, of object: String = "/") throws -> Int {
        let values = try readIntArrayAttribute(name, of: object)
        guard values.count == 1 else { throw mismatch(name, object, found: "\(values.count) integers", "one integer") }
        return values[0]
    }

    /// Reads an integer attribute (scalar or array) as a list.
    public func readIntArrayAttribute(_ name: String, of object: String = "/") throws -> [Int] {
        try readNumbers(name, of: object, as: Int64.self, chdf5_native_int64(), integerOnly: true).map { Int($0) }
    }

    /// Reads a numeric attribute holding one value as a `Double`.
    public func readDoubleAttribute(_ name: String, of object: String = "/") throws -> Double {
        let values = try readDoubleArrayAttribute(name, of: object)
        guard values.count == 1 else { throw mismatch(name, object, found: "\(values.count) numbers", "one number") }
        return values[0]
    }

    /// Reads a numeric attribute (scalar or array) as a list of `Double`s.
    public func readDoubleArrayAttribute(_ name: String, of object: String = "/") throws -> [Double] {
        try readNumbers(name, of: object, as: Double.self, chdf5_native_double(), integerOnly: false)
    }

    /// Reads a string attribute holding one value (variable- or fixed-length).
    public func readStringAttribute(_ name: String, of object: String = "/") throws -> String {
        let values = try readStringArrayAttribute(name, of: object)
        guard values.count == 1 else { throw mismatch(name, object, found: "\(values.count) strings", "one string") }
        return values[0]
    }

    /// Reads a string attribute (scalar or array, variable- or fixed-length) as a list.
    public func readStringArrayAttribute(_ name: String, of object: String = "/") throws -> [String] {
        let label = attributeLabel(name, object)
        return try withAttribute(name, of: object) { attribute, type, space, shape in
            guard H5Tget_class(type) == H5T_STRING else {
                throw mismatch(name, object, found: ElementType(typeID: type).description, "string")
            }
            let count = shape.reduce(1, *)
            if H5Tis_variable_str(type) > 0 {
                let memoryType = try call("H5Tcopy", label) { H5Tcopy(type) }
                defer { H5Tclose(memoryType) }
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                try call("H5Aread", label) { H5Aread(attribute, memoryType, &pointers) }
                defer { _ = H5Dvlen_reclaim(memoryType, space, chdf5_p_default(), &pointers) }
                return pointers.map { $0.map { String(cString: $0) } ?? "" }
            }
            let size = H5Tget_size(type)
            var bytes = [UInt8](repeating: 0, count: max(count * size, 1))
            try call("H5Aread", label) { H5Aread(attribute, type, &bytes) }
            return (0..<count).map { index in
                let field = bytes[(index * size)..<((index + 1) * size)]
                return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
    }

    private func readNumbers<Number>(
        _ name: String, of object: String, as: Number.Type, _ memoryType: hid_t, integerOnly: Bool
    ) throws -> [Number] {
        try withAttribute(name, of: object) { attribute, type, _, shape in
            let stored = ElementType(typeID: type)
            guard integerOnly ? stored.isInteger : stored.isNumeric else {
                throw mismatch(name, object, found: stored.description, integerOnly ? "integer" : "number")
            }
            let count = shape.reduce(1, *)
            return try [Number](unsafeUninitializedCapacity: count) { buffer, initialized in
                try call("H5Aread", attributeLabel(name, object)) { H5Aread(attribute, memoryType, buffer.baseAddress) }
                initialized = count
            }
        }
    }

    /// Opens attribute `name` of `object` with its type, dataspace and shape for `body`.
    func withAttribute<Result>(
        _ name: String, of object: String, _ body: (hid_t, hid_t, hid_t, [Int]) throws -> Result
    ) throws -> Result {
        let label = attributeLabel(name, object)
        guard hasAttribute(name, on: object) else { throw HDF5Error.missingObject(file: path, name: label) }
        let attribute = try call("H5Aopen_by_name", label) {
            H5Aopen_by_name(id, object, name, chdf5_p_default(), chdf5_p_default())
        }
        defer { H5Aclose(attribute) }
        let type = try call("H5Aget_type", label) { H5Aget_type(attribute) }
        defer { H5Tclose(type) }
        let space = try call("H5Aget_space", label) { H5Aget_space(attribute) }
        defer { H5Sclose(space) }
        return try body(attribute, type, space, try dimensions(of: space, label))
    }

    /// How errors name an attribute: `attribute scale of /features`, or `attribute num_classes` on the root.
    func attributeLabel(_ name: String, _ object: String) -> String {
        object == "/" ? "attribute \(name)" : "attribute \(name) of \(object)"
    }

    private func mismatch(_ name: String, _ object: String, found: String, _ expected: String) -> HDF5Error {
        .typeMismatch(file: path, object: attributeLabel(name, object), found: found, expected: expected)
    }
}
