import Foundation
import Kademlia
import MeshCore

/// `bootstrap-nodes.json`: the nodes a new node may contact first. The schema is in docs/kademlia.md.
///
/// ```json
/// { "version": 1, "nodes": [ { "address": "dht.example.org:4646", "node_id": "64 hex digits",
///                              "operator": "who runs it", "note": "free text" } ] }
/// ```
/// Only `address` is required. A `node_id`, when given, must match the key the node proves on first contact
/// (the driver pings by address; the core checks the signature; the ID is advisory until then).
///
/// The repository's `bootstrap-nodes.json` is compiled in (`builtInJSON`, kept equal to the file by a test) and is
/// every node's default; a copy in the data directory replaces it.
public struct BootstrapList: Codable, Sendable, Equatable {
    public struct Node: Codable, Sendable, Equatable {
        public var address: String
        public var nodeID: String?
        public var `operator`: String?
        public var note: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case address
            case nodeID = "node_id"
            case `operator`
            case note
        }

        public init(address: String, nodeID: String? = nil, operator: String? = nil, note: String? = nil) {
            self.address = address
            self.nodeID = nodeID
            self.operator = `operator`
            self.note = note
        }

        public init(from decoder: any Decoder) throws {
            try BootstrapListKeys.refuseUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            address = try container.decode(String.self, forKey: .address)
            nodeID = try container.decodeIfPresent(String.self, forKey: .nodeID)
            `operator` = try container.decodeIfPresent(String.self, forKey: .operator)
            note = try container.decodeIfPresent(String.self, forKey: .note)
        }
    }

    public static let currentVersion = 1
    public static let maximumNodes = 256
    public static let maximumFileBytes = 256 * 1024
    public static let fileName = "bootstrap-nodes.json"

    public var version: Int
    public var nodes: [Node]

    enum CodingKeys: String, CodingKey, CaseIterable { case version, nodes }

    public init(version: Int = BootstrapList.currentVersion, nodes: [Node] = []) {
        self.version = version
        self.nodes = nodes
    }

    public init(from decoder: any Decoder) throws {
        try BootstrapListKeys.refuseUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        nodes = try container.decode([Node].self, forKey: .nodes)
    }

    /// Strict parsing: a wrong version, an unknown key, too many nodes or an oversize file is an error naming the
    /// place (`nodes[2].address: …`), not a partial list. `name` (a path, or "the built-in list") starts the message.
    public static func parse(_ data: Data, name: String = "the bootstrap list") throws -> BootstrapList {
        func fail(_ reason: String) -> DriverError { DriverError("\(name) is not a valid bootstrap list: \(reason)") }
        guard data.count <= maximumFileBytes else { throw fail("over \(maximumFileBytes) bytes") }
        let list: BootstrapList
        do {
            list = try JSONDecoder().decode(BootstrapList.self, from: data)
        } catch let error as DecodingError {
            throw fail(BootstrapListKeys.describe(error))
        } catch {
            throw fail("\(error)")
        }
        guard list.version == currentVersion else { throw fail("version \(list.version) is not \(currentVersion)") }
        guard list.nodes.count <= maximumNodes else { throw fail("more than \(maximumNodes) nodes") }
        for (index, node) in list.nodes.enumerated() {
            do { _ = try TransportAddress.split(node.address) } catch {
                throw fail("nodes[\(index)].address: \(error)")
            }
            if let id = node.nodeID, id.count != 64 || !id.allSatisfy(\.isHexDigit) {
                throw fail("nodes[\(index)].node_id \(id) is not 64 hex digits")
            }
        }
        return list
    }

    public static func load(path: String) throws -> BootstrapList {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DriverError("cannot read the bootstrap list \(path)")
        }
        return try parse(data, name: path)
    }

    /// The list compiled into this binary (the repository's `bootstrap-nodes.json` at build time).
    public static func builtIn() throws -> BootstrapList {
        try parse(Data(builtInJSON.utf8), name: "the built-in bootstrap list")
    }

    /// The list a node uses besides the seeds it was given explicitly: `file` when named, else the data
    /// directory's `bootstrap-nodes.json` when present, else the built-in list. The built-in list is left out when
    /// explicit seeds were given (a private network) or when the node listens on loopback only (nothing outside
    /// could answer it). Returns the list and where it came from ("the built-in list" or a path), or nil.
    public static func standard(
        file: String?,
        home: String?,
        explicitSeeds: Bool,
        listen: [String]
    ) throws -> (list: BootstrapList, origin: String)? {
        if let file { return (try load(path: file), file) }
        if let home {
            let path = (home as NSString).appendingPathComponent(fileName)
            if FileManager.default.fileExists(atPath: path) { return (try load(path: path), path) }
        }
        guard !explicitSeeds, !isLoopbackOnly(listen) else { return nil }
        return (try builtIn(), "the built-in list")
    }

    /// True when every `host:port` is on loopback (127.0.0.0/8, ::1, localhost); false for an empty list.
    public static func isLoopbackOnly(_ listen: [String]) -> Bool {
        !listen.isEmpty
            && listen.allSatisfy { text in
                guard let (host, _) = try? TransportAddress.split(text) else { return false }
                return host.hasPrefix("127.") || host == "::1" || host == "localhost"
            }
    }

    /// Resolves every address, skipping (and reporting) the ones that fail, so one dead name does not stop a start.
    public func resolved() -> (addresses: [TransportAddress], failures: [String]) {
        var addresses: [TransportAddress] = []
        var failures: [String] = []
        for node in nodes {
            do {
                addresses.append(try TransportAddress.resolve(node.address))
            } catch {
                failures.append("\(node.address): \(error)")
            }
        }
        return (addresses, failures)
    }
}

/// Unknown keys and decoding failures, said in the file's own terms.
enum BootstrapListKeys {

    static func refuseUnknown(in decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let place = path(decoder.codingPath)
            throw DriverError(
                "\(place.isEmpty ? "" : place + ": ")unknown key(s) \(unknown.joined(separator: ", ")); "
                    + "known: \(allowed.joined(separator: ", "))"
            )
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce("") { text, key in
            if let index = key.intValue { return text + "[\(index)]" }
            return text.isEmpty ? key.stringValue : text + "." + key.stringValue
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func at(_ keys: [any CodingKey]) -> String { keys.isEmpty ? "" : path(keys) + ": " }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(at(context.codingPath + [key]))missing"
        case .typeMismatch(let type, let context):
            return "\(at(context.codingPath))expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(at(context.codingPath))expected \(type), found null"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? DriverError { return underlying.description }
            return "\(at(context.codingPath))not JSON (\(context.debugDescription))"
        @unknown default:
            return "\(error)"
        }
    }
}
