import ArgumentParser
import Foundation
import MeshCore
import RelayFallback
import RelayServer

/// `meshbench relay-store`: the store-and-forward path without sockets. The hub accepts `envelopes` for an
/// offline recipient, committed to the GRDB WAL store one transaction per read burst of `--burst` frames, as
/// the relay does (`store_per_s`), and, in the same run, one transaction per envelope as the relay did before
/// (`store_unbatched_per_s`); then the recipient logs in and drains: the hub hands out windows, payloads are
/// read from the store, acks of 64 delete them. The baseline is SQLite itself: the same rows in one transaction.
struct RelayStoreScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay-store",
        abstract: "Store and drain rates of the relay's envelope store."
    )

    @Option(help: "Envelopes to store and drain.") var envelopes = 20_000
    @Option(help: "Payload bytes per envelope.") var size = 256
    @Option(help: "Frames per read burst (one transaction each).") var burst = 64

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshbench-store-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EnvelopeStore(path: directory + "/relay.sqlite")
        var random = SeededRandom(seed: 5)
        let relay = AgentIdentity.generate(using: &random)
        let sender = AgentIdentity.generate(using: &random)
        let recipient = AgentIdentity.generate(using: &random)
        var limits = RelayLimits()
        limits.senderEnvelopeBurst = 1e12
        limits.senderByteBurst = 1e12
        limits.mailboxMaximumCount = envelopes + 1
        let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
        var hub = RelayHub(relayKey: relay.publicKey, limits: limits, random: random, now: now)
        try logIn(&hub, sender, ConnectionID(1), now)
        let payload = [UInt8](repeating: 0x5A, count: size)
        let frames = (0..<envelopes).map { index -> [UInt8] in
            let id = Self.envelopeID(index)
            return RelayMessage.send(OutboundEnvelope(id: id, recipient: recipient.nodeID, payload: payload)).encoded()
        }
        let unbatchedSeconds = try unbatchedStore(
            frames,
            path: directory + "/unbatched.sqlite",
            limits: limits,
            relay: relay,
            sender: sender,
            now: now
        )
        let burstSize = max(1, burst)
        let storeSeconds = try Stopwatch.measure {
            for start in stride(from: 0, to: frames.count, by: burstSize) {
                var batch: [StoredEnvelope] = []
                for frame in frames[start..<min(start + burstSize, frames.count)] {
                    for case .persist(let envelopes) in hub.receive(ConnectionID(1), bytes: frame, now: now) {
                        batch += envelopes
                    }
                }
                try store.persist(batch)
            }
        }
        guard try store.count() == envelopes else { throw BenchError("not every envelope was stored") }
        var delivered = 0
        let drainSeconds = try Stopwatch.measure {
            var pending = try logIn(&hub, recipient, ConnectionID(2), now)
            var acks: [EnvelopeID] = []
            while !pending.isEmpty {
                var next: [RelayHubAction] = []
                for action in pending {
                    switch action {
                    case .deliverStored(_, let metas):
                        let payloads = try store.payloads(metas.map(\.sequence))
                        for meta in metas where payloads[meta.sequence] != nil {
                            delivered += 1
                            acks.append(meta.id)
                            if acks.count == 64 {
                                next += hub.receive(ConnectionID(2), bytes: RelayMessage.ack(acks).encoded(), now: now)
                                acks = []
                            }
                        }
                    case .delete(let ids):
                        try store.delete(ids)
                    default:
                        break
                    }
                }
                if next.isEmpty && !acks.isEmpty {
                    next = hub.receive(ConnectionID(2), bytes: RelayMessage.ack(acks).encoded(), now: now)
                    acks = []
                }
                pending = next
            }
        }
        guard delivered == envelopes, try store.count() == 0 else {
            throw BenchError("drained \(delivered) of \(envelopes); \(try store.count()) left")
        }
        let baselineStore = try EnvelopeStore(path: directory + "/baseline.sqlite")
        let rows = (0..<envelopes).map { (index: Int) -> StoredEnvelope in
            StoredEnvelope(
                meta: StoredEnvelopeMeta(
                    sequence: UInt64(index + 1),
                    id: Self.envelopeID(index),
                    sender: sender.nodeID,
                    recipient: recipient.nodeID,
                    byteCount: size,
                    expiresAt: now + .seconds(3600)
                ),
                payload: payload
            )
        }
        let baselineSeconds = try Stopwatch.measure { try baselineStore.persist(rows) }
        var report = BenchReport(scenario: "relay-store")
        report["envelopes"] = envelopes
        report["size"] = size
        report.set("store_per_s", Double(envelopes) / storeSeconds)
        report.set("store_unbatched_per_s", Double(envelopes) / unbatchedSeconds)
        report.set("burst", Double(burst))
        report.set("drain_per_s", Double(envelopes) / drainSeconds)
        report.set("baseline_bulk_insert_per_s", Double(envelopes) / baselineSeconds)
        report.printJSON()
    }

    /// The relay before read-burst batching: one transaction per stored envelope, on a store of its own.
    private func unbatchedStore(
        _ frames: [[UInt8]],
        path: String,
        limits: RelayLimits,
        relay: AgentIdentity,
        sender: AgentIdentity,
        now: Timestamp
    ) throws -> Double {
        let store = try EnvelopeStore(path: path)
        defer { try? store.close() }
        var hub = RelayHub(relayKey: relay.publicKey, limits: limits, random: SeededRandom(seed: 6), now: now)
        try logIn(&hub, sender, ConnectionID(1), now)
        let seconds = try Stopwatch.measure {
            for frame in frames {
                for case .persist(let batch) in hub.receive(ConnectionID(1), bytes: frame, now: now) {
                    try store.persist(batch)
                }
            }
        }
        guard try store.count() == frames.count else { throw BenchError("not every envelope was stored") }
        return seconds
    }

    /// A distinct ID per index: the index in the last eight bytes.
    static func envelopeID(_ index: Int) -> EnvelopeID {
        var bytes = [UInt8](repeating: 0x42, count: 16)
        withUnsafeBytes(of: UInt64(index).bigEndian) { raw in
            for (offset, byte) in raw.enumerated() { bytes[8 + offset] = byte }
        }
        return try! EnvelopeID(bytes: bytes)
    }

    @discardableResult
    private func logIn(
        _ hub: inout RelayHub<SeededRandom>,
        _ identity: AgentIdentity,
        _ id: ConnectionID,
        _ now: Timestamp
    )
        throws -> [RelayHubAction]
    {
        guard case .send(_, .challenge(let challenge)) = hub.connect(id, source: "bench", now: now).first else {
            throw BenchError("no challenge")
        }
        let login = try RelayAuth.answer(challenge, identity: identity, expectedRelay: nil)
        return hub.receive(id, bytes: RelayMessage.authenticate(login).encoded(), now: now)
    }
}
