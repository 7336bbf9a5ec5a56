import FuzzSupport
import Kademlia
import MeshCore

/// Every Kademlia decoder (signed and tagged datagrams, message, contact, address, record envelope, agent and provider records,
/// both validators) never traps on any input, and what decodes re-encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
    switch selector % 7 {
    case 0:
        switch try? DHTDatagram.decode(body, maximumSize: 4_096) {
        case .signed(let message):
            _ = message.isSignatureValid
            fuzzCheck(message.datagram() == body, "datagram does not round-trip")
        case .tagged(let message):
            fuzzCheck(message.datagram() == body, "tagged datagram does not round-trip")
        case nil:
            break
        }
    case 1:
        if let message = try? KademliaMessage(wireBytes: body) {
            fuzzCheck(message.wireBytes == body, "message does not round-trip")
        }
    case 2:
        if let contact = try? Contact(wireBytes: body) { fuzzCheck(contact.wireBytes == body, "contact round trip") }
        if let address = try? TransportAddress(wireBytes: body) {
            fuzzCheck(address.wireBytes == body, "address round trip")
        }
    case 3:
        if let envelope = try? RecordEnvelope(wireBytes: body) {
            fuzzCheck(envelope.wireBytes == body, "envelope does not round-trip")
        }
    case 4:
        if let record = try? AgentRecord(wireBytes: body) {
            fuzzCheck(record.wireBytes == body, "agent record does not round-trip")
        }
        _ = try? AgentRecordValidator().validate(RecordEnvelope(type: .agent, bytes: body), now: now, limits: limits)
    case 5:
        if let record = try? ProviderRecord(wireBytes: body) {
            fuzzCheck(record.wireBytes == body, "provider record does not round-trip")
        }
        _ = try? ProviderRecordValidator().validate(
            RecordEnvelope(type: .provider, bytes: body),
            now: now,
            limits: limits
        )
    default:
        // The whole node: a datagram from anywhere must never trap or let anything into the table.
        let node = FuzzNode.shared
        node.handleDatagram(body, from: TransportAddress(ip: [192, 0, 2, 1], port: 9)!, now: now)
        _ = node.drainTransmits()
        while node.pollEvent() != nil {}
        fuzzCheck(node.routingTable.count == 0, "an unverified sender entered the routing table")
    }
    return 0
}

/// One node reused across inputs (building a key per input would dominate the run). `nonisolated(unsafe)` is
/// sound here: libFuzzer calls `LLVMFuzzerTestOneInput` from one thread, one input at a time.
enum FuzzNode {
    nonisolated(unsafe) static let shared: KademliaNode = {
        var random = SeededRandom(seed: 1)
        return KademliaNode(
            signingKey: Ed25519.PrivateKey(using: &random),
            random: SeededRandom(seed: 2),
            now: Timestamp(secondsSinceEpoch: 1_700_000_000)
        )
    }()
}
