import DirectPath
import MeshCore
import Testing

/// Two channels joined by a simulated network with a virtual clock: seeded latency, jitter (reordering), loss,
/// duplication and an MTU. Deterministic for a given seed, and bounded in steps and virtual time.
struct SimulatedLink {
    struct Conditions {
        var latency: Duration = .milliseconds(20)
        var jitter: Duration = .milliseconds(10)
        var loss = 0.0
        var duplication = 0.0
        var mtu = 1_500
        /// A bottleneck in each direction: datagrams queue behind it and leave at this rate (nil: unlimited).
        var bottleneckBitsPerSecond: Double?
        /// Drop-tail queue in front of the bottleneck, in bytes.
        var queueBytes = 1_048_576
    }

    struct InFlight {
        var deliverAt: Timestamp
        var toB: Bool
        var bytes: [UInt8]
    }

    var a: DirectChannel
    var b: DirectChannel
    var conditions: Conditions
    var random: SeededRandom
    var now: Timestamp
    var inFlight: [InFlight] = []
    var receivedByA: [[UInt8]] = []
    var receivedByB: [[UInt8]] = []
    var eventsA: [ChannelEvent] = []
    var eventsB: [ChannelEvent] = []
    var datagramsOnWire = 0
    /// When each direction's bottleneck finishes sending what it holds (index 0: A to B).
    var bottleneckFreeAt: [Timestamp] = [.zero, .zero]
    /// The longest any datagram waited in a bottleneck queue.
    var maximumQueueDelay: Duration = .zero
    var droppedAtQueue = 0
    /// False models an application on B that stops reading: its messages stay in the channel.
    var bReads = true
    var stepsUsed = 0
    /// Optional tap to tamper with datagrams in transit (return nil to drop).
    var tap: ((inout SeededRandom, [UInt8]) -> [UInt8]?)?

    init(
        conditions: Conditions = Conditions(),
        seed: UInt64,
        configuration: ChannelConfiguration = ChannelConfiguration(),
        cipher: ChannelCipher = .xchacha20Poly1305
    ) throws {
        var random = SeededRandom(seed: seed)
        let alice = AgentIdentity.generate(using: &random)
        let bob = AgentIdentity.generate(using: &random)
        let keys = try ChannelKeys(
            sessionSecret: random.secureBytes(count: 32),
            initiator: alice.publicKey,
            responder: bob.publicKey,
            context: Array("ice:ufrag-a:ufrag-b".utf8),
            cipher: cipher
        )
        now = Timestamp(secondsSinceEpoch: 1_700_000_000)
        a = DirectChannel(
            configuration: configuration,
            keys: keys,
            isInitiator: true,
            localChannelID: 1,
            remoteChannelID: 2,
            now: now
        )
        b = DirectChannel(
            configuration: configuration,
            keys: keys,
            isInitiator: false,
            localChannelID: 2,
            remoteChannelID: 1,
            now: now
        )
        self.conditions = conditions
        self.random = random
    }

    private mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && Double.random(in: 0..<1, using: &random) < probability
    }

    private mutating func transmit(fromA: Bool) {
        while let datagram = fromA ? a.pollTransmit(now: now) : b.pollTransmit(now: now) {
            datagramsOnWire += 1
            guard datagram.count <= conditions.mtu, !chance(conditions.loss) else { continue }
            var bytes = datagram
            if let tap {
                guard let tapped = tap(&random, datagram) else { continue }
                bytes = tapped
            }
            guard let departure = bottleneckDeparture(bytes: bytes.count, fromA: fromA) else { continue }
            let copies = chance(conditions.duplication) ? 2 : 1
            for _ in 0..<copies {
                let jitter = Int64.random(in: 0...max(conditions.jitter.nanoseconds, 0), using: &random)
                inFlight.append(
                    InFlight(deliverAt: departure + conditions.latency + .nanoseconds(jitter), toB: fromA, bytes: bytes)
                )
            }
        }
    }

    /// When a datagram leaves the bottleneck (now without one), or nil when the queue in front of it is full.
    private mutating func bottleneckDeparture(bytes: Int, fromA: Bool) -> Timestamp? {
        guard let rate = conditions.bottleneckBitsPerSecond else { return now }
        let side = fromA ? 0 : 1
        let start = max(now, bottleneckFreeAt[side])
        let waiting = start - now
        guard Double(waiting.nanoseconds) / 1e9 * rate / 8 + Double(bytes) <= Double(conditions.queueBytes) else {
            droppedAtQueue += 1
            return nil
        }
        maximumQueueDelay = max(maximumQueueDelay, waiting)
        bottleneckFreeAt[side] = start + .nanoseconds(Int64(Double(bytes) * 8 / rate * 1e9))
        return bottleneckFreeAt[side]
    }

    private mutating func drainEvents() {
        while let event = a.pollEvent() {
            eventsA.append(event)
            if case .message(let bytes) = event { receivedByA.append(bytes) }
        }
        while bReads, let event = b.pollEvent() {
            eventsB.append(event)
            if case .message(let bytes) = event { receivedByB.append(bytes) }
        }
    }

    /// Runs until `done` holds, both sides are quiet, or the step or time budget runs out. Returns whether `done` held.
    @discardableResult
    mutating func run(
        for limit: Duration = .seconds(600),
        maxSteps: Int = 2_000_000,
        until done: (SimulatedLink) -> Bool
    ) -> Bool {
        let end = now + limit
        var steps = 0
        var stuck = 0
        while steps < maxSteps && now < end {
            steps += 1
            transmit(fromA: true)
            transmit(fromA: false)
            drainEvents()
            // Taking messages can open the receive window and owe the peer an update (see `pollEvent`).
            transmit(fromA: true)
            transmit(fromA: false)
            if done(self) { return true }
            var next = end
            if let earliest = inFlight.map(\.deliverAt).min() { next = min(next, earliest) }
            if let timeout = a.pollTimeout() { next = min(next, timeout) }
            if let timeout = b.pollTimeout() { next = min(next, timeout) }
            if next >= end {
                now = end
                break
            }
            if next > now {
                now = next
                stuck = 0
            } else {
                stuck += 1
            }
            if stuck == 1_000 {
                // Virtual time stopped moving: some timer reports a deadline that its handler never clears.
                Issue.record("simulation stalled at \(now): pollTimeout keeps returning a past deadline")
                break
            }
            let due = inFlight.filter { $0.deliverAt <= now }
            inFlight.removeAll { $0.deliverAt <= now }
            for datagram in due {
                if datagram.toB {
                    _ = b.handleDatagram(datagram.bytes, now: now)
                } else {
                    _ = a.handleDatagram(datagram.bytes, now: now)
                }
            }
            if let timeout = a.pollTimeout(), timeout <= now { a.handleTimeout(now: now) }
            if let timeout = b.pollTimeout(), timeout <= now { b.handleTimeout(now: now) }
            if a.isClosed && b.isClosed { break }
        }
        stepsUsed = steps
        drainEvents()
        return done(self)
    }
}
