// A thin, typed wrapper over one open HDF5 file; the only code in the project that imports CHDF5.
// Datasets, attributes and element types live in the HDF5File+*.swift extensions.
import CHDF5
import Foundation
import Glibc

/// One open HDF5 file: groups, datasets and attributes, with every return code checked.
///
/// Open an existing file read-only with `open(path:)`; make a new one with `writeAtomically(path:_:)`
/// (or `create(path:)` when a half-written file under the final name does not matter). Object
/// names are absolute paths such as `/features` or `/params/layers.0.weight`.
///
/// ```swift
/// try HDF5File.writeAtomically(path: "tiny.h5") { file in
///     try file.write([1, 2, 3, 4] as [Float], shape: [2, 2], to: "/features")
///     try file.writeAttribute("num_classes", 10)
/// }
/// let file = try HDF5File.open(path: "tiny.h5")
/// let (values, shape) = try file.readFloats("/features")   // [1, 2, 3, 4], [2, 2]
/// ```
///
/// Not thread-safe: use one `HDF5File` from one thread at a time (HDF5 itself serializes calls).
public final class HDF5File {
    /// The file's path as given when it was opened or created.
    public let path: String
    /// Whether the file was created for writing (`false` for files opened with `open(path:)`).
    public let isWritable: Bool
    /// The HDF5 file id, or -1 once closed.
    private(set) var id: hid_t

    private init(path: String, id: hid_t, isWritable: Bool) {
        self.path = path
        self.id = id
        self.isWritable = isWritable
    }

    deinit {
        if id >= 0 { _ = H5Fclose(id) }
    }

    /// Creates a new, empty file at `path`, replacing any file already there.
    ///
    /// - Throws: `HDF5Error.call("H5Fcreate", …)` if the file cannot be created.
    public static func create(path: String) throws -> HDF5File {
        let id = try hdf5Call("H5Fcreate", file: path, object: "/") {
            H5Fcreate(path, chdf5_acc_trunc(), chdf5_p_default(), chdf5_p_default())
        }
        return HDF5File(path: path, id: id, isWritable: true)
    }

    /// Opens an existing file read-only.
    ///
    /// - Throws: `HDF5Error.fileNotFound` when nothing is at `path`, `HDF5Error.isDirectory` for a
    ///   directory, `HDF5Error.notHDF5` when the file is not HDF5 (a text file, say),
    ///   `HDF5Error.call("H5Fopen", …)` otherwise.
    public static func open(path: String) throws -> HDF5File {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw HDF5Error.fileNotFound(path) }
        guard !isDirectory.boolValue else { throw HDF5Error.isDirectory(path) }
        let isHDF5 = try hdf5Call("H5Fis_hdf5", file: path, object: "/") { H5Fis_hdf5(path) }
        guard isHDF5 > 0 else { throw HDF5Error.notHDF5(path) }
        let id = try hdf5Call("H5Fopen", file: path, object: "/") {
            H5Fopen(path, chdf5_acc_rdonly(), chdf5_p_default())
        }
        return HDF5File(path: path, id: id, isWritable: false)
    }

    /// Closes the file; later calls do nothing. `deinit` closes it too, ignoring errors.
    ///
    /// - Throws: `HDF5Error.call("H5Fclose", …)` if HDF5 could not finish writing the file.
    public func close() throws {
        guard id >= 0 else { return }
        let closing = id
        id = -1
        try hdf5Call("H5Fclose", file: path, object: "/") { H5Fclose(closing) }
    }

    /// Writes a new file through `body` so that `path` only ever holds a complete file.
    ///
    /// The file is written as `<path>.partial` (`writeComplete(path:durable:_:)`: flushed,
    /// closed, synced to disk) and then renamed over `path`. If `body` (or any step) throws, the
    /// partial file is removed and `path` is left as it was.
    ///
    /// - Throws: whatever `body` throws, or `HDF5Error.call` naming the step that failed.
    public static func writeAtomically(path: String, durable: Bool = true, _ body: (HDF5File) throws -> Void) throws {
        let partial = path + ".partial"
        try writeComplete(path: partial, durable: durable, body)
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw HDF5Error.call("rename", file: partial, object: "/", detail: "cannot rename to \(path): \(reason)")
        }
    }

    /// Writes a new file at `path` itself through `body`, then flushes, closes and syncs it to
    /// disk; if `body` (or any step) throws, the file is removed.
    ///
    /// `writeAtomically(path:durable:_:)` writes through this and renames; a set of files that
    /// must be replaced together (a dataset preparation) is written with it under temporary
    /// names and renamed by the caller once every file is complete.
    ///
    /// A write that fails for lack of space, a file-size limit or a read-only file system (a
    /// full disk while a checkpoint is written) is reported as `HDF5Error.call("write", …)` with
    /// the system's reason, e.g. "No space left on device"; HDF5's own message for it spans lines.
    /// (HDF5 keeps such a file half-open, and its exit-time cleanup would then crash; `hdf5Call`
    /// turns that cleanup off, see `HDF5Library`.)
    ///
    /// - Throws: whatever `body` throws, or `HDF5Error.call` naming the step that failed.
    public static func writeComplete(path: String, durable: Bool = true, _ body: (HDF5File) throws -> Void) throws {
        do {
            let file = try create(path: path)
            do {
                try body(file)
                try hdf5Call("H5Fflush", file: path, object: "/") { H5Fflush(file.id, H5F_SCOPE_GLOBAL) }
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            if durable { try syncToDisk(path) }   // durable: false only for measuring the page-cache rate
        } catch {
            let code = errno   // the failed write's, before anything else can change it
            unlink(path)
            if [ENOSPC, EFBIG, EDQUOT, EROFS, EIO].contains(code), case HDF5Error.call = error {
                throw HDF5Error.call("write", file: path, object: "/", detail: String(cString: strerror(code)))
            }
            throw error
        }
    }

    /// Flushes a closed file's data to the disk, so that a rename never exposes lost contents.
    private static func syncToDisk(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { Glibc.close(fd) }
            throw HDF5Error.call("fsync", file: path, object: "/", detail: reason)
        }
        Glibc.close(fd)
    }

    /// Runs one HDF5 call on this file, throwing `HDF5Error.call` naming `object` on failure.
    @discardableResult
    func call<Code: BinaryInteger>(_ function: String, _ object: String, _ body: () -> Code) throws -> Code {
        precondition(id >= 0, "HDF5File: \(function) on \(object) after close() of \(path)")
        return try hdf5Call(function, file: path, object: object, body)
    }

    // MARK: - Structure

    /// Whether a group or dataset exists at the absolute `path` (`/` always exists).
    ///
    /// Checks each prefix in turn (`/a`, then `/a/b`), as `H5Lexists` requires.
    public func exists(_ path: String) -> Bool {
        precondition(id >= 0, "HDF5File: exists(\(path)) after close() of \(self.path)")
        let parts = path.split(separator: "/")
        if parts.isEmpty { return true }  // the root group
        var prefix = ""
        for part in parts {
            prefix += "/" + part
            _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
            guard H5Lexists(id, prefix, chdf5_p_default()) > 0 else { return false }
        }
        return true
    }

    /// Creates a group at the absolute `path`, creating missing parent groups too.
    ///
    /// - Throws: `HDF5Error.call("H5Gcreate2", …)` if it cannot be made (e.g. it already exists).
    public func createGroup(_ path: String) throws {
        let linkProperties = try linkCreationProperties(path)
        defer { H5Pclose(linkProperties) }
        let groupProperties = try call("H5Pcreate", path) { H5Pcreate(chdf5_p_group_create()) }
        defer { H5Pclose(groupProperties) }
        // No modification times, so that the same contents always give the same bytes.
        try call("H5Pset_obj_track_times", path) { H5Pset_obj_track_times(groupProperties, false) }
        let group = try call("H5Gcreate2", path) {
            H5Gcreate2(id, path, linkProperties, groupProperties, chdf5_p_default())
        }
        try call("H5Gclose", path) { H5Gclose(group) }
    }

    /// Link-creation properties that create missing intermediate groups; the caller closes them.
    func linkCreationProperties(_ object: String) throws -> hid_t {
        let properties = try call("H5Pcreate", object) { H5Pcreate(chdf5_p_link_create()) }
        do {
            try call("H5Pset_create_intermediate_group", object) { H5Pset_create_intermediate_group(properties, 1) }
        } catch {
            H5Pclose(properties)
            throw error
        }
        return properties
    }

    /// The names (not paths) of the datasets directly inside `group`, in name order.
    public func datasetNames(in group: String = "/") throws -> [String] {
        try children(of: group).filter { $0.type == H5O_TYPE_DATASET }.map(\.name)
    }

    /// The names (not paths) of the groups directly inside `group`, in name order.
    public func groupNames(in group: String = "/") throws -> [String] {
        try children(of: group).filter { $0.type == H5O_TYPE_GROUP }.map(\.name)
    }

    /// The absolute paths of every dataset in the file, depth first in name order.
    ///
    /// ```swift
    /// try file.allDatasetPaths()   // ["/features", "/labels"] or ["/params/layers.0.weight", …]
    /// ```
    public func allDatasetPaths(under group: String = "/") throws -> [String] {
        var paths: [String] = []
        for child in try children(of: group) {
            let childPath = (group.hasSuffix("/") ? group : group + "/") + child.name
            if child.type == H5O_TYPE_DATASET { paths.append(childPath) }
            if child.type == H5O_TYPE_GROUP { paths += try allDatasetPaths(under: childPath) }
        }
        return paths
    }

    /// The links directly inside `group` with the type of object each one names.
    private func children(of group: String) throws -> [(name: String, type: H5O_type_t)] {
        guard exists(group) else { throw HDF5Error.missingObject(file: path, name: group) }
        let groupID = try call("H5Gopen2", group) { H5Gopen2(id, group, chdf5_p_default()) }
        defer { H5Gclose(groupID) }
        var info = H5G_info_t()
        try call("H5Gget_info", group) { H5Gget_info(groupID, &info) }
        var result: [(name: String, type: H5O_type_t)] = []
        for index in 0..<info.nlinks {
            let length = try call("H5Lget_name_by_idx", group) {
                H5Lget_name_by_idx(groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default())
            }
            var bytes = [CChar](repeating: 0, count: Int(length) + 1)
            try call("H5Lget_name_by_idx", group) {
                H5Lget_name_by_idx(groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &bytes, bytes.count,
                                   chdf5_p_default())
            }
            let name = String(decoding: bytes.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var objectInfo = H5O_info_t()
            // A dangling soft or external link names no object; leave it out.
            _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
            guard H5Oget_info_by_name2(groupID, name, &objectInfo, UInt32(H5O_INFO_BASIC), chdf5_p_default()) >= 0
            else { continue }
            result.append((name, objectInfo.type))
        }
        return result
    }
}
