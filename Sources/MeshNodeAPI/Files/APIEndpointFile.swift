import Foundation
import MeshCore
import MeshPeer

/// `<data directory>/api.json`: where a running node's local API listens (`{"url": "...", "pid": N}`).
/// The node writes it once its server is bound and removes it at shutdown; the CLI and agents read it.
public struct APIEndpointFile: Hashable, Sendable, Codable {
    public static let fileName = "api.json"

    /// The API's base URL, such as `http://127.0.0.1:41234`.
    public var url: String
    /// The node's process ID, so a file left by a killed node is recognised as stale.
    public var pid: Int32

    public init(url: String, pid: Int32 = getpid()) {
        self.url = url
        self.pid = pid
    }

    /// Reads the endpoint of the node running on `directory`. Throws `NodeAPIError.unavailable` saying how to
    /// start one when there is no file or its process is gone.
    public static func read(from directory: String) throws(NodeAPIError) -> APIEndpointFile {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeAPIError(.unavailable, "no node is running on \(directory) (start one with `meshpeer run`)")
        }
        guard data.count <= 4096, let endpoint = try? JSONDecoder().decode(APIEndpointFile.self, from: data) else {
            throw NodeAPIError(
                .unavailable,
                "\(path) is not a node's endpoint file; is a node starting? (start one with `meshpeer run`)"
            )
        }
        guard isAlive(endpoint.pid) else {
            throw NodeAPIError(
                .unavailable,
                "no node is running on \(directory): process \(endpoint.pid) has exited (start one with `meshpeer run`)"
            )
        }
        return endpoint
    }

    /// Writes the file (mode 0600) so a reader sees the old file, nothing, or the complete new one. Refuses to
    /// replace the file of another process that is still alive: two nodes must not share a data directory.
    public func write(to directory: String) throws(LocalAPIError) {
        let path = directory + "/" + Self.fileName
        if let existing = try? Self.read(from: directory), existing.pid != pid {
            throw LocalAPIError("another node (pid \(existing.pid)) is serving \(directory) at \(existing.url)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
        } catch {
            throw LocalAPIError("cannot encode the API endpoint: \(error)")
        }
        let staging = path + ".new"
        unlink(staging)
        do {
            try SecureFile.createExclusive(at: staging, contents: bytes, mode: 0o600)
        } catch {
            throw LocalAPIError("cannot write \(staging): \(error)")
        }
        guard rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            throw LocalAPIError("cannot move \(staging) to \(path): \(reason)")
        }
    }

    /// Removes the file if it is this process's (a newer node's file is left alone).
    public static func remove(from directory: String, pid: Int32 = getpid()) {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path),
            let endpoint = try? JSONDecoder().decode(APIEndpointFile.self, from: data), endpoint.pid == pid
        else { return }
        unlink(path)
    }

    /// True when a process with this ID exists (EPERM: it exists but belongs to another user).
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
