import Kademlia
import MeshCore

/// Shared fixtures: seeded identities, fixed instants, loopback addresses.
enum Fixture {
    static let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    static func identity(_ seed: UInt64) -> AgentIdentity {
        var random = SeededRandom(seed: seed)
        return AgentIdentity.generate(using: &random)
    }

    static func address(_ last: UInt8, port: UInt16 = 4_000) -> TransportAddress {
        TransportAddress(ip: [127, 0, 0, last], port: port)!
    }

    static func id(_ bytes: [UInt8]) -> NodeID {
        try! NodeID(bytes: bytes + [UInt8](repeating: 0, count: 32 - bytes.count))
    }

    static func node(_ seed: UInt64, config: KademliaConfig = KademliaConfig(), now: Timestamp = start) -> KademliaNode
    {
        KademliaNode(identity: identity(seed), config: config, random: SeededRandom(seed: seed + 1000), now: now)
    }

    /// Delivers every queued datagram between two nodes until both are quiet; returns how many moved.
    @discardableResult
    static func exchange(
        _ a: KademliaNode,
        at addressA: TransportAddress,
        _ b: KademliaNode,
        at addressB: TransportAddress,
        now: Timestamp
    )
        -> Int
    {
        var moved = 0
        var progress = true
        while progress {
            progress = false
            for transmit in a.drainTransmits() where transmit.destination == addressB {
                b.handleDatagram(transmit.bytes, from: addressA, now: now)
                moved += 1
                progress = true
            }
            for transmit in b.drainTransmits() where transmit.destination == addressA {
                a.handleDatagram(transmit.bytes, from: addressB, now: now)
                moved += 1
                progress = true
            }
        }
        return moved
    }

    static func events(_ node: KademliaNode) -> [KademliaEvent] {
        var all: [KademliaEvent] = []
        while let event = node.pollEvent() { all.append(event) }
        return all
    }
}
