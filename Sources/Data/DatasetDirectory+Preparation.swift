// Whether the files of a dataset directory come from one preparation (the `preparation` attribute).
import Foundation

extension DatasetDirectory {
    /// Checks that every file here that carries a `preparation` id carries the same one, and that
    /// no file lacks it while others have it; returns the id (`nil` when no file has one, as in
    /// directories written before ids existed or by other tools).
    ///
    /// `swiftddp prepare` replaces a directory's files together, but a process killed between its
    /// renames leaves old and new files side by side; so does a file copied in from another
    /// dataset. Files that cannot be opened are skipped here: loading them reports why.
    ///
    /// - Throws: `DatasetError.mixedPreparations` naming a file of each id.
    public func checkOnePreparation() throws -> String? {
        let present = trainShards.filter { !missingShards.contains($0) } + [validation, test].compactMap { $0 }
        var first: (name: String, id: String)?
        for path in present {
            guard let file = try? HDF5File.open(path: path) else { continue }
            defer { try? file.close() }
            let id = file.hasAttribute(DatasetFormat.Attribute.preparation)
                ? (try? file.readStringAttribute(DatasetFormat.Attribute.preparation)) ?? "" : ""
            let name = (path as NSString).lastPathComponent
            guard let reference = first else {
                first = (name, id)
                continue
            }
            if id != reference.id {
                throw DatasetError.mixedPreparations(directory: self.path, file: reference.name, id: reference.id, other: name, otherID: id)
            }
        }
        return first.flatMap { $0.id.isEmpty ? nil : $0.id }
    }
}
