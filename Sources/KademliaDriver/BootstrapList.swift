import Foundation
import Kademlia

/// `bootstrap-nodes.json`: the nodes a new node may contact first. The schema is in docs/kademlia.md.
///
/// ```json
/// { "version": 1, "nodes": [ { "address": "dht.example.org:4646", "node_id": "64 hex digits",
///                              "operator": "who runs it", "note": "free text" } ] }
/// ```
/// Only `address` is required. A `node_id`, when given, must match the key the node proves on first contact
/// (the driver pings by address; the core checks the signature; the ID is advisory until then).
public struct BootstrapList: Codable, Sendable, Equatable {
    public struct Node: Codable, Sendable, Equatable {
        public var address: String
        public var nodeID: String?
        public var `operator`: String?
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case address
            case nodeID = "node_id"
            case `operator`
            case note
        }
    }

    public static let currentVersion = 1
    public static let maximumNodes = 256
    public static let maximumFileBytes = 256 * 1024

    public var version: Int
    public var nodes: [Node]

    public init(version: Int = BootstrapList.currentVersion, nodes: [Node] = []) {
        self.version = version
        self.nodes = nodes
    }

    /// Strict parsing: a wrong version, too many nodes or an oversize file is an error, not a partial list.
    public static func parse(_ data: Data) throws -> BootstrapList {
        guard data.count <= maximumFileBytes else { throw DriverError("bootstrap list over \(maximumFileBytes) bytes") }
        let list = try JSONDecoder().decode(BootstrapList.self, from: data)
        guard list.version == currentVersion else {
            throw DriverError("bootstrap list version \(list.version) is not \(currentVersion)")
        }
        guard list.nodes.count <= maximumNodes else { throw DriverError("more than \(maximumNodes) bootstrap nodes") }
        for node in list.nodes {
            _ = try PeerAddress.split(node.address)
            if let id = node.nodeID, id.count != 64 || !id.allSatisfy(\.isHexDigit) {
                throw DriverError("node_id \(id) is not 64 hex digits")
            }
        }
        return list
    }

    public static func load(path: String) throws -> BootstrapList {
        try parse(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Resolves every address, skipping (and reporting) the ones that fail, so one dead name does not stop a start.
    public func resolved() -> (addresses: [PeerAddress], failures: [String]) {
        var addresses: [PeerAddress] = []
        var failures: [String] = []
        for node in nodes {
            do {
                addresses.append(try PeerAddress.resolve(node.address))
            } catch {
                failures.append("\(node.address): \(error)")
            }
        }
        return (addresses, failures)
    }
}
