import Foundation

/// A file's modification time and size: enough to notice that the owner edited it (the node reloads the card and
/// the policy without a restart) without reading it every second.
public struct FileStamp: Hashable, Sendable {
    var modified: Date
    var size: Int

    /// The stamp of `path`, or nil when the file does not exist.
    static func of(_ path: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return FileStamp(modified: modified, size: (attributes[.size] as? NSNumber)?.intValue ?? 0)
    }
}

/// Reads an owner-edited file, bounded in size.
enum OwnerFile {
    static func read(_ path: String, maximumBytes: Int) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count <= maximumBytes else {
            throw ConfigurationError("\(path) is \(data.count) bytes; at most \(maximumBytes)")
        }
        return data
    }
}
