import Foundation
import MeshCore
import RelayFallback
import Testing

/// A relay whose data directory fills up: senders get `storageFull`, nothing half-written is kept, and the relay
/// keeps serving. Needs root to mount a small tmpfs (CI runs as root).
@Suite(.serialized) struct FullDiskTests {
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskIsAnsweredWithStorageFullAndTheRelayKeepsWorking() async throws {
        let mountPoint = RelayProcess.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        #expect(try run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]) == 0)
        defer { _ = try? run("/bin/umount", ["-l", mountPoint]) }
        let data = mountPoint + "/relay"
        let relay = try await RelayProcess.start(dataDirectory: data, limits: bulkLimits)
        defer { relay.cleanUp() }
        let sender = try await RawClient(port: relay.port)
        try await sender.logIn(identity(71))
        let offline = identity(72)
        var stored = 0
        var full = 0
        for index in 0..<40 {
            let envelope = OutboundEnvelope.numbered(index, to: offline, run: 13, size: 100_000)
            try await sender.send(RelayMessage.send(envelope).encoded())
            switch try await sender.next() {
            case .accepted(_, .stored): stored += 1
            case .refused(let refusal) where refusal.code == .storageFull: full += 1
            case let other: Issue.record("unexpected \(String(describing: other))")
            }
        }
        #expect(stored > 0 && full > 0, "stored \(stored), refused \(full)")
        #expect(try relay.http("/healthz").status == 200)
        #expect(try relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes \(stored)"))
        // The envelopes that were stored still arrive, in order.
        let recipient = try await RawClient(port: relay.port)
        try await recipient.logIn(offline)
        var indices: [Int] = []
        for _ in 0..<stored {
            guard case .deliver(let envelope) = try await recipient.next() else { break }
            indices.append(envelope.index)
        }
        #expect(indices == Array(0..<stored))
        await sender.close()
        await recipient.close()
    }

    func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
