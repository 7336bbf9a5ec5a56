import MeshCore

@testable import ICE

/// Two agents on a virtual clock joined by a lossless network with fixed latency and optional NATs: enough to
/// drive the sans-IO core deterministically through checks, nomination and consent.
struct SimulatedPair {
    typealias Agent = ICEAgent<SeededRandom>

    struct InFlight {
        var at: Timestamp
        var from: TransportAddress
        var to: TransportAddress
        var bytes: [UInt8]
    }

    var a: Agent
    var b: Agent
    var now = Timestamp(secondsSinceEpoch: 1_000)
    var latency: Duration = .milliseconds(10)
    var inFlight: [InFlight] = []
    var eventsA: [ICEEvent] = []
    var eventsB: [ICEEvent] = []
    var aHost: TransportAddress
    var bHost: TransportAddress
    /// When set, everything A sends leaves with this source (an endpoint-independent NAT in front of A), and
    /// traffic to it reaches A's host address.
    var natForA: TransportAddress?
    /// Drops every datagram while true.
    var blackhole = false

    init(roleA: ICERole = .controlling, roleB: ICERole = .controlled, seed: UInt64 = 1) {
        a = Agent(role: roleA, random: SeededRandom(seed: seed))
        b = Agent(role: roleB, random: SeededRandom(seed: seed + 100))
        aHost = TransportAddress("192.0.2.10:5000")!
        bHost = TransportAddress("203.0.113.20:6000")!
    }

    /// Both sides add their host candidate and exchange descriptions.
    mutating func exchange(advertiseA: Bool = true) {
        a.addLocalCandidate(Candidate(kind: .host, address: aHost), now: now)
        b.addLocalCandidate(Candidate(kind: .host, address: bHost), now: now)
        var offer = a.localDescription(endOfCandidates: true)
        if !advertiseA { offer.candidates = [] }
        b.setRemote(offer, now: now)
        a.setRemote(b.localDescription(endOfCandidates: true), now: now)
    }

    /// Runs until `until` or until nothing is scheduled; at most `limit` steps.
    mutating func run(for duration: Duration, limit: Int = 100_000) {
        let end = now + duration
        for _ in 0..<limit {
            drain()
            let next = [a.pollTimeout(), b.pollTimeout(), inFlight.map(\.at).min()].compactMap { $0 }.min()
            guard let next, next <= end else { break }
            now = max(now, next)
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for packet in due { deliver(packet) }
            a.handleTimeout(now: now)
            b.handleTimeout(now: now)
        }
        now = max(now, end)
        drain()
    }

    mutating func drain() {
        while let t = a.pollTransmit() {
            guard !blackhole else { continue }
            inFlight.append(InFlight(at: now + latency, from: natForA ?? t.from, to: t.to, bytes: t.bytes))
        }
        while let t = b.pollTransmit() {
            guard !blackhole else { continue }
            inFlight.append(InFlight(at: now + latency, from: t.from, to: t.to, bytes: t.bytes))
        }
        while let e = a.pollEvent() { eventsA.append(e) }
        while let e = b.pollEvent() { eventsB.append(e) }
    }

    mutating func deliver(_ packet: InFlight) {
        if packet.to == aHost || packet.to == natForA {
            _ = a.handleInput(packet.bytes, from: packet.from, to: aHost, now: now)
        } else if packet.to == bHost {
            _ = b.handleInput(packet.bytes, from: packet.from, to: bHost, now: now)
        }
    }

    static func selection(_ events: [ICEEvent]) -> (TransportAddress, TransportAddress, Duration)? {
        for case .selected(let local, let remote, let elapsed) in events { return (local, remote, elapsed) }
        return nil
    }
}
