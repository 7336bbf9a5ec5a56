import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The circuit breaker on real processes: a real relay, a real bootstrap node and two `meshpeer run` nodes on
/// 127.0.0.1. What leaves a node is counted where it lands: at the relay (its /metrics count every envelope a
/// client hands it, accepted or refused) and at the peer (whether our receipt ever reached it).
@Suite(.serialized)
struct BreakerProcessTests {
    /// Envelopes the relay received from any client: accepted (forwarded, stored, duplicate) or refused.
    static func envelopesAtRelay(_ mesh: LocalMesh) async throws -> Int {
        let port = try #require(mesh.relayMetricsPort("relay"))
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        var total = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("meshpeer_relay_envelopes_total{") || line.hasPrefix("meshpeer_relay_refusals_total{") {
            total += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return total
    }

    static func text(_ text: String) -> JSONValue { .object(["text": .string(text)]) }

    @Test func aTrippedBreakerSendsNothingUntilReset() async throws {
        let mesh = try TestMesh.make("breaker")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            try await mesh.prepareAgent(
                "a",
                card: TestMesh.card("A", skills: ["alpha"]),
                policy: [:],
                relays: [relay],
                extra: ["breaker": ["sendSpike": ["count": 20, "windowSeconds": 600]]].merging(TestMesh.relayOnly) {
                    $1
                }
            )
            // Relay only: this test counts at the relay everything that leaves (a direct path would also carry the
            // other agents' path signals there); DirectPathProcessTests checks the breaker on a direct channel.
            try await mesh.prepareAgent(
                "b",
                card: TestMesh.card("B", skills: ["beta"]),
                policy: ["default": "accept"],
                relays: [relay],
                extra: TestMesh.relayOnly
            )
            try await mesh.startAgent("a")
            try await mesh.startAgent("b")
            try await mesh.prepareAgent(
                "c",
                card: TestMesh.card("C", skills: ["gamma"]),
                policy: ["default": "accept"],
                relays: [relay]
            )
            try await mesh.startAgent("c")
            let (didA, didB) = try await TestMesh.contacts(mesh, "a", "b")
            let first = try mesh.client("a")
            let b = try mesh.client("b")

            // Before: a message goes and its receipt comes back.
            let before = try await first.send(SendRequest(to: didB, intent: "chat.message", body: Self.text("before")))
            _ = try await TestMesh.eventually("the first message delivered") {
                try await first.sentMessage(id: before.id).state == "delivered" ? true : nil
            }

            // The owner trips a's breaker.
            let tripped = try await first.tripBreaker(reason: "test: stop everything")
            #expect(tripped.state == "tripped" && tripped.reason == "test: stop everything" && !tripped.automatic)

            // New knocks are refused both ways: a's own (403 before any lookup), and c's knock on a.
            let c = try mesh.client("c")
            let didC = try await c.status().did
            do {
                _ = try await first.knock(KnockRequest(to: didC, intent: "chat.message", purpose: "while tripped"))
                Issue.record("a knock was accepted while the breaker was tripped")
            } catch {
                #expect(error.code == .forbidden)
            }
            _ = try await TestMesh.eventually("a's record in the DHT for c", timeout: .seconds(60)) {
                try await c.find(.did(didA)).first
            }
            _ = try await c.knock(KnockRequest(to: didA, intent: "chat.message", purpose: "hello a"))
            _ = try await TestMesh.eventually("a to refuse c's knock") {
                TestMesh.metric("meshpeer_knocks_refused_total", in: try await first.metrics()) >= 1 ? true : nil
            }
            #expect(try await first.knocks().allSatisfy { $0.peer != didC }, "c's knock never reached a's owner")

            // b writes to a. a still receives (acks are plumbing), but the receipt it owes must not leave.
            let fromB = try await b.send(
                SendRequest(to: didA, intent: "chat.message", body: Self.text("are you there"))
            )
            _ = try await TestMesh.eventually("b's message in a's inbox") {
                try await first.messages(after: 0, limit: 10, wait: .seconds(1)).messages.first { $0.id == fromB.id }
            }
            let baseline = try await Self.envelopesAtRelay(mesh)

            // The agent keeps calling send: every call is refused with 403 and the breaker's reason.
            for index in 0..<40 {
                do {
                    _ = try await first.send(
                        SendRequest(to: didB, intent: "chat.message", body: Self.text("x\(index)"))
                    )
                    Issue.record("send \(index) was accepted while the breaker was tripped")
                } catch {
                    #expect(error.code == .forbidden)
                    #expect(error.message.contains("circuit breaker is tripped"))
                }
            }

            // A restart keeps it tripped; the reconnected relay wakes the outbox, which still sends nothing.
            try await mesh.stop("a")
            try await mesh.startAgent("a")
            let a = try mesh.client("a")
            let afterRestart = try await a.breaker()
            #expect(afterRestart.state == "tripped" && afterRestart.reason == "test: stop everything")
            let client = a
            _ = try await TestMesh.eventually("a's home relay ready after the restart") {
                try await client.status().relays.contains { $0.home && $0.state == "ready" } ? true : nil
            }
            for index in 0..<20 {
                await #expect(throws: NodeAPIError.self) {
                    _ = try await client.send(
                        SendRequest(to: didB, intent: "chat.message", body: Self.text("y\(index)"))
                    )
                }
            }
            let whileTripped = try await Self.envelopesAtRelay(mesh) - baseline
            #expect(whileTripped == 0, "nothing reached the relay while tripped")
            #expect(try await b.sentMessage(id: fromB.id).state != "delivered", "a's receipt did not leave")

            // Reset: the queued receipt leaves at once, and new messages flow.
            let reset = try await a.resetBreaker()
            #expect(reset.state == "closed" && reset.reason == nil)
            _ = try await TestMesh.eventually("a's queued receipt at b") {
                try await b.sentMessage(id: fromB.id).state == "delivered" ? true : nil
            }
            let after = try await a.send(SendRequest(to: didB, intent: "chat.message", body: Self.text("after")))
            _ = try await TestMesh.eventually("the message after the reset at b") {
                try await b.messages(after: 0, limit: 50, wait: .seconds(1)).messages.first { $0.id == after.id }
            }
            #expect(try await Self.envelopesAtRelay(mesh) > baseline)

            // A spike trips it automatically: 20 sends within 600 s.
            var refusedAt: Int?
            for index in 0..<40 {
                do {
                    _ = try await a.send(SendRequest(to: didB, intent: "chat.message", body: Self.text("s\(index)")))
                } catch {
                    #expect(error.code == .forbidden)
                    refusedAt = index
                    break
                }
            }
            // The reset and the restart started the window afresh: `after` is the first send in it, s0 to s18 the
            // 2nd to the 20th (which trips it), s19 the first refused.
            #expect(refusedAt == 19)
            let automatic = try await a.breaker()
            #expect(automatic.state == "tripped" && automatic.automatic)
            #expect(automatic.reason == "automatic: send-rate spike, 20 sends within 600 s")

            // Everything is in the audit log, and the chain verifies.
            var kinds: [String] = []
            var cursor: UInt64 = 0
            while true {
                let page = try await a.audit(after: cursor, limit: 100)
                kinds += page.entries.map(\.kind)
                guard let next = page.next else { break }
                cursor = next
            }
            #expect(kinds.filter { $0 == "breaker.tripped" }.count == 2)
            #expect(kinds.contains("breaker.reset") && kinds.contains("message.received"))
            #expect(kinds.contains("knock.sent") && kinds.contains("knock.answered"))
            #expect(kinds.filter { $0 == "message.sent" }.count == 21)
            let verification = try await a.verifyAudit()
            #expect(verification.ok && verification.firstBadSeq == nil && verification.entries == kinds.count)
            let report: [String: Any] = [
                "scenario": "breaker", "sends_refused_while_tripped": 60,
                "envelopes_at_relay_while_tripped": whileTripped, "relay_envelopes_baseline": baseline,
                "automatic_trip_after_sends": (refusedAt ?? -1) + 1, "audit_entries": kinds.count,
            ]
            let line = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: line, as: UTF8.self))
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}
