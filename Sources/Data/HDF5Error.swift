// Errors raised by the HDF5 wrapper (`HDF5File`). Every case names the file, and the object when
// there is one, so that a message read in a log is enough to find the problem.
import CHDF5

/// A failure reported by the HDF5 library, or a file or object that is not what was asked for.
///
/// ```
/// H5Dread failed on /features in /data/train-00000-of-00002.h5: can't read data
/// ```
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    /// An HDF5 call returned a failure code.
    ///
    /// - `function`: the C function, e.g. `H5Dread`.
    /// - `file`: the HDF5 file's path.
    /// - `object`: the dataset, group or attribute the call was about (`/` for the file itself).
    /// - `detail`: HDF5's own explanation from its error stack, when it gave one.
    case call(String, file: String, object: String, detail: String = "")
    /// The file exists but is not in HDF5 format.
    case notHDF5(String)
    /// Nothing exists at the path.
    case fileNotFound(String)
    /// The path is a directory where a file was expected.
    case isDirectory(String)
    /// The file has no object (dataset, group or attribute) of that name.
    case missingObject(file: String, name: String)
    /// The stored type cannot be read as the requested one (e.g. strings read as floats).
    case typeMismatch(file: String, object: String, found: String, expected: String)
    /// A row range reaches past the first dimension of a dataset.
    case rowsOutOfRange(file: String, object: String, rows: Range<Int>, rowCount: Int)

    /// A one-line explanation naming the file and the object, with a hint where one helps.
    public var description: String {
        switch self {
        case let .call(function, file, object, detail):
            let why = detail.isEmpty ? "" : ": \(detail)"
            var hint = ""
            if detail.contains("unable to lock file") {
                hint = " (another process has the file open for writing; wait for it, or set HDF5_USE_FILE_LOCKING=FALSE)"
            } else if detail.contains("truncated file") {
                hint = " (the file is shorter than its header says: truncated by an interrupted copy or write; "
                    + "copy or write it again)"
            }
            return "\(function) failed on \(object) in \(file)\(why)\(hint)"
        case let .notHDF5(path):
            return "\(path) is not an HDF5 file (check the path)"
        case let .fileNotFound(path):
            return "\(path) does not exist"
        case let .isDirectory(path):
            return "\(path) is a directory, not an HDF5 file"
        case let .missingObject(file, name):
            return "\(file) has no object named \(name)"
        case let .typeMismatch(file, object, found, expected):
            return "\(object) in \(file) holds \(found), which cannot be read as \(expected)"
        case let .rowsOutOfRange(file, object, rows, rowCount):
            return "rows \(rows.lowerBound)..<\(rows.upperBound) of \(object) in \(file) are out of range: "
                + "it has \(rowCount) rows"
        }
    }

    /// HDF5's description of the error on this thread's error stack, outermost call first.
    ///
    /// Reads the default stack right after a failed call (any later HDF5 call clears it), e.g.
    /// "unable to open file (unable to lock file, errno = 11)".
    static func currentStackDetail() -> String {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { pointer in
            _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_UPWARD, { _, error, clientData in
                guard let error, let clientData, let description = error.pointee.desc else { return 0 }
                let messages = clientData.assumingMemoryBound(to: [String].self)
                messages.pointee.append(String(cString: description))
                return 0
            }, pointer)
        }
        _ = H5Eclear2(chdf5_e_default())
        // Upward walks start at the most specific error; the last one is the API call's own.
        guard let outer = messages.last, let inner = messages.first else { return "" }
        return inner == outer ? outer : "\(outer) (\(inner))"
    }
}

/// Runs one HDF5 call and throws `HDF5Error.call` if it returns a negative value.
///
/// Automatic printing of HDF5's diagnostic stack ("HDF5-DIAG") is switched off first: in a
/// thread-safe HDF5 build that setting belongs to each thread's error stack, so it is set before
/// every call rather than once per process.
@discardableResult
func hdf5Call<Code: BinaryInteger>(
    _ function: String, file: String, object: String, _ body: () -> Code
) throws -> Code {
    HDF5Library.prepare()
    _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
    let code = body()
    if code < 0 {
        throw HDF5Error.call(function, file: file, object: object, detail: HDF5Error.currentStackDetail())
    }
    return code
}

/// Process-wide HDF5 setup, done before the first HDF5 call (every call goes through `hdf5Call`).
enum HDF5Library {
    /// Turns off HDF5's exit-time cleanup (`H5dont_atexit`, which must precede every other HDF5
    /// call). After a write fails (a full disk), HDF5 1.10 cannot close the file, and that cleanup
    /// then crashes the process at exit. Every file is closed explicitly, so nothing is lost.
    static func prepare() { _ = done }

    private static let done: Void = { _ = H5dont_atexit() }()
}
