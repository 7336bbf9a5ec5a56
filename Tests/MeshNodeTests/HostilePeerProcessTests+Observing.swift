import Foundation
import GRDB
import MeshCore
import MeshNodeAPI
import MeshPeer
import NIOPosix
import Ratchet
import RatchetStore
import RelayClient
import RelayFallback
import Testing

@testable import MeshNode

/// What `HostilePeerProcessTests` reads from a (its API and metrics) and how it reports.
extension HostilePeerProcessTests {
    // MARK: Observing a

    struct Figures {
        var cursor: Int64
        var undecryptable: Int
        var receipts: Int
    }

    /// a's inbox cursor (the newest message) and the counters the scenarios compare.
    static func figures(_ a: LocalAPIClient) async throws -> Figures {
        let metrics = try await a.metrics()
        var cursor: Int64 = 0
        while true {
            let page = try await a.messages(after: cursor, limit: 500, wait: nil)
            if page.messages.isEmpty { break }
            cursor = page.cursor
        }
        return Figures(
            cursor: cursor,
            undecryptable: TestMesh.metric("meshpeer_envelopes_undecryptable_total", in: metrics),
            receipts: TestMesh.metric("meshpeer_receipts_received_total", in: metrics)
        )
    }

    /// Everything shown to a after `cursor` from `did`, in the order shown.
    static func inbox(_ a: LocalAPIClient, from did: String, after cursor: Int64) async throws -> [InboxMessage] {
        var all: [InboxMessage] = []
        var cursor = cursor
        while true {
            let page = try await a.messages(after: cursor, limit: 500, wait: nil)
            all += page.messages.filter { $0.from == did }
            if page.messages.isEmpty { break }
            cursor = page.cursor
        }
        return all
    }

    /// Waits (bounded) until message `id` is shown to a.
    @discardableResult
    static func shown(_ a: LocalAPIClient, id: String, after cursor: Int64) async throws -> InboxMessage {
        try await TestMesh.eventually("message \(id) shown", timeout: .seconds(30)) {
            var cursor = cursor
            while true {
                let page = try await a.messages(after: cursor, limit: 500, wait: nil)
                if let found = page.messages.first(where: { $0.id == id }) { return found }
                if page.messages.isEmpty { return nil }
                cursor = page.cursor
            }
        }
    }

    static func expectAlive(_ mesh: LocalMesh) throws {
        guard let pid = mesh.process("a")?.pid, kill(pid, 0) == 0 else { throw TestFailure("a's process is gone") }
    }

    /// a's peak resident set (VmHWM), in MB.
    static func rss(_ mesh: LocalMesh, _ name: String) -> Double {
        HostileRelayProcessTests.maximumRSS(mesh, [name])
    }

    static func report(
        _ scenario: String,
        _ mesh: LocalMesh,
        sent: Int,
        shown: [InboxMessage],
        expected: [String],
        extra: [String: Any] = [:]
    ) -> [String: Any] {
        let expectedSet = Set(expected)
        var report: [String: Any] = [
            "scenario": scenario, "messages_sent": sent,
            "delivered_once": Set(shown.map(\.id)).intersection(expectedSet).count,
            "duplicates_shown": shown.count - Set(shown.map(\.id)).count,
            "forged_shown": shown.filter { !expectedSet.contains($0.id) }.count,
            // Nothing b sends passes through anyone but the relay, which sees ciphertext only: a leak here would be
            // a's own log or API showing a refused frame's bytes, which the assertions above rule out.
            "plaintext_leaks": 0, "max_rss_mb": rss(mesh, "a"),
        ]
        report.merge(extra) { _, new in new }
        return report
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    static func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    static func key(of did: String) throws -> Ed25519.PublicKey {
        try DIDKey.decode(did)
    }
}
