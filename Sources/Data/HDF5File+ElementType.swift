// The element types that datasets and attributes are stored with, as reported to callers.
import CHDF5

extension HDF5File {
    /// The stored type of a dataset's or an attribute's elements.
    ///
    /// Reads convert between numeric types (HDF5 converts during `H5Dread`), so this is mostly
    /// for reports and for choosing how to read a value of unknown type.
    public enum ElementType: Equatable, Sendable, CustomStringConvertible {
        /// IEEE floating point of 32 or 64 bits.
        case float32, float64
        /// Signed integers of 8 to 64 bits.
        case int8, int16, int32, int64
        /// Unsigned integers of 8 to 64 bits.
        case uint8, uint16, uint32, uint64
        /// A fixed- or variable-length string.
        case string
        /// Anything else (compound, enum, array, float16 …), described by its HDF5 class.
        case other(String)

        /// Whether the elements are integers of any width and sign.
        public var isInteger: Bool {
            switch self {
            case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return true
            default: return false
            }
        }

        /// Whether the elements are floating-point numbers of a width Swift reads (32 or 64 bits).
        public var isFloat: Bool { self == .float32 || self == .float64 }

        /// Whether the elements are numbers that can be read as `Float` or `Double`.
        public var isNumeric: Bool { isInteger || isFloat }

        /// The numpy-style name: `float32`, `uint8`, `string`, …
        public var description: String {
            switch self {
            case .float32: return "float32"
            case .float64: return "float64"
            case .int8: return "int8"
            case .int16: return "int16"
            case .int32: return "int32"
            case .int64: return "int64"
            case .uint8: return "uint8"
            case .uint16: return "uint16"
            case .uint32: return "uint32"
            case .uint64: return "uint64"
            case .string: return "string"
            case let .other(name): return name
            }
        }

        /// Classifies an HDF5 datatype id.
        init(typeID: hid_t) {
            let typeClass = H5Tget_class(typeID)
            let size = H5Tget_size(typeID)
            switch typeClass {
            case H5T_INTEGER:
                let signed = H5Tget_sign(typeID) == H5T_SGN_2
                switch size {
                case 1: self = signed ? .int8 : .uint8
                case 2: self = signed ? .int16 : .uint16
                case 4: self = signed ? .int32 : .uint32
                case 8: self = signed ? .int64 : .uint64
                default: self = .other("\(signed ? "int" : "uint")\(size * 8)")
                }
            case H5T_FLOAT:
                switch size {
                case 4: self = .float32
                case 8: self = .float64
                default: self = .other("float\(size * 8)")
                }
            case H5T_STRING: self = .string
            case H5T_COMPOUND: self = .other("compound")
            case H5T_ENUM: self = .other("enum")
            case H5T_ARRAY: self = .other("array")
            case H5T_VLEN: self = .other("vlen")
            case H5T_OPAQUE: self = .other("opaque")
            case H5T_BITFIELD: self = .other("bitfield")
            case H5T_REFERENCE: self = .other("reference")
            case H5T_TIME: self = .other("time")
            default: self = .other("unknown")
            }
        }
    }

    /// The shape and element type of the dataset `name`.
    ///
    /// - Throws: `HDF5Error.missingObject` if there is no such dataset.
    public func datasetInfo(_ name: String) throws -> (shape: [Int], elementType: ElementType) {
        try withDataset(name) { dataset, space, shape in
            let type = try call("H5Dget_type", name) { H5Dget_type(dataset) }
            defer { H5Tclose(type) }
            return (shape, ElementType(typeID: type))
        }
    }

    /// The extent of each dimension of a dataspace (empty for a scalar).
    func dimensions(of space: hid_t, _ object: String) throws -> [Int] {
        let rank = try call("H5Sget_simple_extent_ndims", object) { H5Sget_simple_extent_ndims(space) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 {
            try call("H5Sget_simple_extent_dims", object) { H5Sget_simple_extent_dims(space, &dims, nil) }
        }
        return dims.map { Int($0) }
    }
}
