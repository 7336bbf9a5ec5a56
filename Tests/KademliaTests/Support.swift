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

    /// An ID sharing exactly `prefix` leading bits with the all-zero ID; `index` (below 65,536) keeps such IDs
    /// distinct and ordered by distance. For lookups driven towards the all-zero target.
    static func id(sharing prefix: Int, withZeroAt index: Int) -> NodeID {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[prefix / 8] = 0x80 >> UInt8(prefix % 8)
        bytes[30] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[31] = UInt8(truncatingIfNeeded: index)
        return try! NodeID(bytes: bytes)
    }

    /// A validated agent record signed by `identity(7)` at `now`, for lookups that hold one.
    static func lookupRecord(now: Timestamp = start) throws -> ValidatedRecord {
        let record = try AgentRecord.signed(by: identity(7), sequence: 1, issuedAt: now, ttl: .seconds(600))
        return try AgentRecordValidator().validate(
            record.envelope,
            now: now,
            limits: RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
        )
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
