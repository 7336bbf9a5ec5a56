import Kademlia
import MeshCore

/// How a malicious simulated node misbehaves (S/Kademlia's adversary, kept simple).
public enum Malice: Sendable, CaseIterable {
    /// Answers pings (so that it stays in tables) and nothing else: every lookup request it gets is lost.
    case drop
    /// An eclipse attempt: answers every lookup with contacts that look closer to the target than any honest node
    /// (IDs that share more leading bits with it than the network's size makes likely, at addresses where nobody
    /// answers) and with the colluding malicious nodes closest to the target, which lie in turn.
    case lie
    /// Answers value and provider requests with forged records (a higher sequence, signed by the wrong key),
    /// and acknowledges writes without storing them.
    case forge
}

extension Simulator {
    /// A malicious node's reply to one request (nil: stay silent).
    func maliciousReply(_ request: DHTDatagram, malice: Malice, node index: Int) -> KademliaMessage? {
        if case .ping = request.message { return .pong(observed: nodes[index].address) }
        if malice == .drop { return nil }
        let liars: [Contact]
        switch request.message {
        case .findNode(let target), .findValue(let target), .getProviders(let target):
            liars = eclipseContacts(near: target, excluding: index)
        default:
            liars = []
        }
        switch (malice, request.message) {
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

    /// Half the reply is sybils made up on the spot: IDs that share `log2(n) + 2...7` leading bits with the target
    /// (an honest network of n nodes rarely has anyone that close), at addresses where no node listens. The other
    /// half is the colluding malicious nodes closest to the target, real nodes that answer the same way.
    func eclipseContacts(near target: NodeID, excluding index: Int) -> [Contact] {
        let half = KademliaMessage.maximumContacts / 2
        var expected = 0
        while (1 << expected) < nodes.count { expected += 1 }
        var contacts: [Contact] = []
        for _ in 0..<half {
            let shared = min(255, expected + 2 + Int(random.next() % 6))
            contacts.append(
                Contact(id: target.randomID(inBucket: shared, using: &random), address: unreachableAddress())
            )
        }
        let nearest = colluders.closest(to: target, count: KademliaMessage.maximumContacts - half, excluding: index)
        contacts += nearest.map { contact(of: $0) }
        return contacts
    }

    /// An address in 10.200.0.0/16, where the simulator places no node: datagrams sent there are lost.
    func unreachableAddress() -> TransportAddress {
        let bits = random.next()
        return TransportAddress(ip: [10, 200, UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF)], port: 4_000)!
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
