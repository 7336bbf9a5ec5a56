import MeshCore
import NIOPosix
import RelayClient
import RelayFallback

/// The tests' one event-loop group (the library takes its group from the caller).
let testGroup = MultiThreadedEventLoopGroup.singleton

/// Collects a RelayClient's events so a test can wait on them with a deadline. Like a node, it keeps each
/// envelope once (by ID) and, unless told not to, acknowledges every delivery as soon as it has recorded it.
actor Collector {
    let client: RelayClient
    let identity: AgentIdentity
    let acknowledges: Bool
    private(set) var delivered: [DeliveredEnvelope] = []
    private var deliveredIDs: Set<EnvelopeID> = []
    /// Deliveries of an ID already recorded (a redelivery of something not yet acknowledged).
    private(set) var redeliveries = 0
    private(set) var failures: [RelayConnectFailure] = []
    private(set) var accepted: [EnvelopeID: Disposition] = [:]
    private(set) var refused: [RelayRefusal] = []
    private(set) var readyCount = 0
    private(set) var lastWelcome: RelayWelcome?
    private(set) var disconnects = 0
    private var task: Task<Void, Never>?

    init(
        _ identity: AgentIdentity,
        host: String = "127.0.0.1",
        port: Int,
        relay: Ed25519.PublicKey?,
        tls: RelayClientTLS? = nil,
        acknowledges: Bool = true
    ) {
        self.identity = identity
        self.acknowledges = acknowledges
        client = RelayClient(
            identity: identity,
            host: host,
            port: port,
            expectedRelay: relay,
            tls: tls,
            group: testGroup
        )
    }

    func start() async {
        let events = client.events
        task = Task { [weak self] in
            for await event in events { await self?.record(event) }
        }
        await client.start()
    }

    func stop() async {
        await client.stop()
        task?.cancel()
    }

    private func record(_ event: RelayClientEvent) async {
        switch event {
        case .ready(let welcome):
            readyCount += 1
            lastWelcome = welcome
        case .delivered(let envelope):
            if deliveredIDs.insert(envelope.id).inserted {
                delivered.append(envelope)
            } else {
                redeliveries += 1
            }
            if acknowledges { await client.acknowledge([envelope.id]) }
        case .connectFailed(let failure): failures.append(failure)
        case .accepted(let id, let disposition): accepted[id] = disposition
        case .refused(let refusal): refused.append(refusal)
        case .disconnected: disconnects += 1
        case .pong: break
        }
    }

    var isReady: Bool { get async { await client.isReady } }

    /// Acknowledges everything recorded so far (for a collector made with `acknowledges: false`).
    func acknowledgeAll() async {
        await client.acknowledge(delivered.map(\.id))
    }

    /// Sends every envelope, waiting for answers whenever the client's outbox is full.
    nonisolated func send(_ envelopes: [OutboundEnvelope]) async throws {
        for envelope in envelopes {
            try await eventually("room in the outbox") { await client.send(envelope) }
        }
    }

    func answeredCount() -> Int { accepted.count + refused.filter { $0.envelopeID != nil }.count }

    /// Starts both collectors and waits (bounded) until both are logged in.
    static func startBoth(_ first: Collector, _ second: Collector) async throws {
        await first.start()
        await second.start()
        try await eventually("both logged in") {
            let one = await first.isReady
            let two = await second.isReady
            return one && two
        }
    }
}

extension OutboundEnvelope {
    /// Envelope `index` of a test run: its payload names the index, so order can be checked on arrival.
    static func numbered(_ index: Int, to recipient: AgentIdentity, run: UInt8, size: Int = 32) -> OutboundEnvelope {
        var id = [UInt8](repeating: run, count: 16)
        withUnsafeBytes(of: UInt64(index).bigEndian) { raw in
            for (offset, byte) in raw.enumerated() { id[8 + offset] = byte }
        }
        var payload = [UInt8](repeating: 0x5A, count: max(size, 8))
        withUnsafeBytes(of: UInt64(index).bigEndian) { raw in
            for (offset, byte) in raw.enumerated() { payload[offset] = byte }
        }
        return OutboundEnvelope(id: try! EnvelopeID(bytes: id), recipient: recipient.nodeID, payload: payload)
    }
}

extension DeliveredEnvelope {
    var index: Int {
        payload.prefix(8).reduce(0) { $0 << 8 | Int($1) }
    }
}

func identity(_ seed: UInt64) -> AgentIdentity {
    var random = SeededRandom(seed: seed)
    return AgentIdentity.generate(using: &random)
}

/// Limits high enough that bulk tests are not rate limited.
let bulkLimits: [String: Double] = [
    "senderEnvelopesPerSecond": 1_000_000.0, "senderEnvelopeBurst": 1_000_000.0,
    "senderBytesPerSecond": 1e12, "senderByteBurst": 1e12, "mailboxMaximumCount": 100_000,
]
