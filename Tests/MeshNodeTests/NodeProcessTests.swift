import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

/// Real `meshpeer run` nodes, a real relay and a real bootstrap node on 127.0.0.1.
@Suite(.serialized)
struct NodeProcessTests {
    /// The whole path once: find by DID, knock (accepted by policy), a message each way, the receipt, the status.
    @Test func knockMessageAndReceipt() async throws {
        let mesh = try TestMesh.make("basic")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            let (didA, didB) = try await TestMesh.pair(mesh)
            let a = try mesh.client("a")
            let b = try mesh.client("b")
            let events = try await a.connectEvents()
            let sent = try await a.send(
                SendRequest(to: didB, intent: "chat.message", body: .object(["text": .string("hi")]))
            )
            // The audit log's feed announces the send on a's event stream (it wakes on each commit to the log).
            let audited = try await TestMesh.firstEvent(in: events, "the audit entry of the send") { event in
                event.type == .audit && event.audit?.kind == "message.sent" && event.audit?.peer == didB
            }
            #expect(audited.audit?.intent == "chat.message")
            let got = try await TestMesh.eventually("the message at b") {
                try await b.messages(after: 0, limit: 10, wait: .seconds(1)).messages.first
            }
            #expect(got.id == sent.id)
            #expect(got.from == didA)
            #expect(got.body == .object(["text": .string("hi")]))
            let delivered = try await TestMesh.eventually("the receipt at a") {
                let state = try await a.sentMessage(id: sent.id)
                return state.state == "delivered" ? state : nil
            }
            #expect(delivered.deliveredAt != nil)
            // b's contacts name a (accepted by policy), and a message to a stranger is refused with a reason.
            #expect(try await b.contacts().map(\.did) == [didA])
            let stranger = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
            await #expect(throws: NodeAPIError.self) {
                _ = try await a.send(
                    SendRequest(to: stranger, intent: "chat.message", body: .object(["text": .string("x")]))
                )
            }
            let status = try await a.status()
            #expect(status.contacts == 1)
            #expect(status.relays.contains { $0.home && $0.state == "ready" })
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }

    /// 1,000 messages while the recipient, the relay and the sender are each killed with SIGKILL mid-stream and
    /// restarted: every message the sender's API accepted reaches the recipient's agent exactly once, in order.
    @Test func exactlyOnceThroughCrashes() async throws {
        let mesh = try TestMesh.make("crash")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            let (_, didB) = try await TestMesh.pair(mesh)
            var sent: [String] = []
            let total = 1_000
            // Crash points: the recipient, the relay and the sender, each once, at random moments in random order
            // (MESHPEER_CRASH_SEED replays a run; the seed is in every failure message).
            let seed =
                ProcessInfo.processInfo.environment["MESHPEER_CRASH_SEED"].flatMap(UInt64.init)
                ?? .random(in: 1...9_999)
            var random = SeededRandom(seed: seed)
            var moments = Set<Int>()
            while moments.count < 3 { moments.insert(Int(random.next() % 900) + 50) }
            let crashes = Dictionary(
                uniqueKeysWithValues: zip(moments.sorted(), ["b", "relay", "a"].shuffled(using: &random))
            )
            for index in 0..<total {
                if let victim = crashes[index] {
                    await mesh.kill(victim)
                    if victim == "relay" {
                        try await mesh.startRelay("relay")
                    } else {
                        try await mesh.startAgent(victim)
                    }
                }
                let request = SendRequest(
                    to: didB,
                    intent: "chat.message",
                    body: .object(["text": .string("message \(index)")])
                )
                sent.append(try await mesh.client("a").send(request).id)
            }
            let b = try mesh.client("b")
            let received = try await TestMesh.eventually("all messages at b", timeout: .seconds(180)) {
                var all: [InboxMessage] = []
                var cursor: Int64 = 0
                while true {
                    let page = try await b.messages(after: cursor, limit: 500, wait: nil)
                    all += page.messages
                    if page.messages.isEmpty { break }
                    cursor = page.cursor
                }
                return all.count >= total ? all : nil
            }
            #expect(received.count == total, "no message handed to the agent twice (seed \(seed), crashes \(crashes))")
            #expect(
                received.map(\.id) == sent,
                "every accepted message once, in order (seed \(seed), crashes \(crashes))"
            )
            #expect(received.map(\.cursor) == received.map(\.cursor).sorted())
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}
