import Kademlia
import MeshCore

/// One of a record's address hints (`AgentRecord.addressHints`, ≤ 4 × 32 bytes, opaque to the DHT): where the
/// agent's node can be reached without a relay, and by what. Today the one kind is the node's DHT port as its
/// gateway maps it (decision 0111): the node asks the gateway once for a mapping of the port its DHT node listens
/// on, keeps it renewed, and publishes the gateway's external address here, so a node outside the NAT reaches it
/// unsolicited. A hint's kind byte leaves room for more; a reader skips kinds it does not know, so a newer record
/// never breaks an older reader.
///
/// Wire form: kind (u8), then the address in the DHT's own address form (family 4 or 6, 4 or 16 IP bytes, a
/// big-endian u16 port: 8 or 20 bytes in all).
public struct AddressHint: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable {
        /// The node's Kademlia UDP port, reachable at this address through a gateway's port mapping.
        case dhtMapped = 1
    }

    public var kind: Kind
    public var address: TransportAddress

    public init(kind: Kind, address: TransportAddress) {
        self.kind = kind
        self.address = address
    }

    public var bytes: [UInt8] { [kind.rawValue] + address.wireBytes }

    /// `dht-mapped 203.0.113.70:40000`.
    public var description: String { "\(kind.name) \(address)" }

    /// Reads one hint. Throws for a known kind whose address is malformed; returns nil for a kind this version does
    /// not know (the hint is skipped, not the record).
    public static func decode(_ bytes: [UInt8]) throws(AddressHintError) -> AddressHint? {
        guard let first = bytes.first else { throw AddressHintError("an empty address hint") }
        guard let kind = Kind(rawValue: first) else { return nil }
        let address: TransportAddress
        do { address = try TransportAddress(wireBytes: Array(bytes.dropFirst())) } catch {
            throw AddressHintError("a \(kind.name) hint whose address does not decode (\(error))")
        }
        guard address.port != 0 else { throw AddressHintError("a \(kind.name) hint with port 0") }
        guard !address.ip.bytes.allSatisfy({ $0 == 0 }) else {
            throw AddressHintError("a \(kind.name) hint without an address")
        }
        return AddressHint(kind: kind, address: address)
    }

    /// The hints of a record this version understands, in order; malformed and unknown ones are left out (a record
    /// is signed by its agent, so a malformed hint is that agent's mistake, and costs it only the hint).
    public static func known(in hints: [[UInt8]]) -> [AddressHint] {
        hints.compactMap { try? decode($0) }
    }
}

extension AddressHint.Kind {
    public var name: String {
        switch self {
        case .dhtMapped: "dht-mapped"
        }
    }
}

public struct AddressHintError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension AddressHint {
    /// The hints a record publishes for a node whose DHT port the gateway maps to `mappedPort`: at the gateway's
    /// external address, or, from a gateway that does not know it (one behind another NAT: it answers with no
    /// address or the unspecified one), at the address STUN servers saw (`seen`). Only a listed agent publishes
    /// them: an unlisted or private agent's record would otherwise tie its DID to its network's address for anyone
    /// who has the DID (docs/exposure.md). No mapping, or no address to put it at, publishes nothing.
    public static func published(
        exposure: Exposure,
        mappedPort: UInt16?,
        gatewayAddress: IPAddress?,
        seen: IPAddress?
    ) -> [AddressHint] {
        guard exposure == .listed, let mappedPort, mappedPort != 0 else { return [] }
        let gateway = gatewayAddress.flatMap { $0.bytes.allSatisfy { $0 == 0 } ? nil : $0 }
        guard let ip = gateway ?? seen else { return [] }
        return [AddressHint(kind: .dhtMapped, address: TransportAddress(ip: ip, port: mappedPort))]
    }
}
