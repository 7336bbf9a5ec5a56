import Kademlia
import MeshCore

/// How a malicious simulated node misbehaves (S/Kademlia's adversary, kept simple).
public enum Malice: Sendable, CaseIterable {
    /// Never answers anything.
    case drop
    /// Answers every lookup with other malicious nodes, far from the target, to lead lookups astray.
    case lie
    /// Answers value and provider requests with forged records (a higher sequence, signed by the wrong key),
    /// and acknowledges writes without storing them.
    case forge
}

extension Simulator {
    /// A malicious node's reply to one request (nil: stay silent).
    func maliciousReply(_ request: SignedMessage, malice: Malice, node index: Int) -> KademliaMessage? {
        let liars = Array(maliciousIndices.shuffled(using: &random).prefix(KademliaMessage.maximumContacts))
            .filter { $0 != index }.map { contact(of: $0) }
        switch (malice, request.message) {
        case (.drop, _):
            return nil
        case (_, .ping):
            return .pong(observed: nodes[index].address)
        case (_, .store), (_, .addProvider):
            return .stored(accepted: true, code: "ok")
        case (.forge, .findValue(let key)):
            return .value(record: forgedAgentRecord(for: key, signer: index), contacts: liars, token: [])
        case (.forge, .getProviders(let key)):
            return .providers(records: [forgedProvider(for: key, signer: index)], contacts: liars, token: [])
        case (_, .findValue):
            return .value(record: nil, contacts: liars, token: [])
        case (_, .getProviders):
            return .providers(records: [], contacts: liars, token: [])
        default:
            return .nodes(contacts: liars, token: [])
        }
    }

    /// A record that claims a real DID with a higher sequence but carries the liar's signature.
    func forgedAgentRecord(for key: NodeID, signer index: Int) -> RecordEnvelope {
        let victim = genuineDIDs[key] ?? nodes[index].signingKey.publicKey.did
        // A fixed, small record: within every limit, so signing cannot refuse it.
        let forged = try! AgentRecord.signed(
            by: nodes[index].signingKey,
            sequence: UInt64.max,
            issuedAt: now,
            ttl: .seconds(600),
            agentCard: Array("{\"name\":\"forged\"}".utf8)
        )
        var claimed = forged
        claimed.did = victim
        return claimed.envelope
    }

    func forgedProvider(for key: NodeID, signer index: Int) -> RecordEnvelope {
        var forged = ProviderRecord.signed(
            by: nodes[index].signingKey,
            key: key,
            sequence: UInt64.max,
            issuedAt: now,
            ttl: .seconds(600)
        )
        // Claim to be a genuine provider while keeping the liar's signature.
        forged.provider = nodes[(index + 1) % nodes.count].signingKey.publicKey
        return forged.envelope
    }
}
