import Foundation
import MeshPeer

/// `policy.json` in the data directory: the owner's knock policy (docs/knock.md). Missing: the default policy
/// (hold every knock for the owner). An edit is picked up within a second; a file that does not parse keeps the
/// policy in force and says why.
enum KnockPolicyFile {
    static let maximumBytes = 256 * 1024

    static func load(path: String) throws -> (policy: KnockPolicy, stamp: FileStamp?) {
        guard let data = try OwnerFile.read(path, maximumBytes: maximumBytes) else { return (KnockPolicy(), nil) }
        do {
            return (try JSONDecoder().decode(KnockPolicy.self, from: data), FileStamp.of(path))
        } catch {
            throw ConfigurationError("\(path): \(error)")
        }
    }

    /// The new policy when the file changed since `stamp`, nil when it did not; throws when it changed but is bad.
    static func reloadIfChanged(path: String, _ stamp: FileStamp?) throws -> (policy: KnockPolicy, stamp: FileStamp?)? {
        let current = FileStamp.of(path)
        guard current != stamp else { return nil }
        return try load(path: path)
    }
}
