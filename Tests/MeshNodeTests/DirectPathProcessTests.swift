import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

/// Direct paths with real `meshpeer run` nodes, a real relay and a real bootstrap node on 127.0.0.1 (docs/paths.md):
/// a conversation starts on the relay, moves to a direct UDP channel once ICE (signalled inside the encrypted
/// session) selects a pair, and every message arrives exactly once and in order across the switch.
@Suite(.serialized)
struct DirectPathProcessTests {
    /// The metric `name` of agent `name` as an integer.
    static func metric(_ mesh: LocalMesh, _ agent: String, _ name: String) async throws -> Int {
        TestMesh.metric(name, in: try await mesh.client(agent).metrics())
    }

    /// Sends `count` numbered messages from `from` to `to` and returns their IDs in order.
    static func send(_ mesh: LocalMesh, from: String, to did: String, count: Int, tag: String) async throws -> [String] {
        let client = try mesh.client(from)
        var ids: [String] = []
        for index in 0..<count {
            let body: JSONValue = .object(["text": .string("\(tag) \(index)")])
            ids.append(try await client.send(SendRequest(to: did, intent: "chat.message", body: body)).id)
        }
        return ids
    }

    /// Waits until `agent`'s inbox holds every one of `ids` and returns the inbox's IDs in order.
    static func received(_ mesh: LocalMesh, _ agent: String, _ ids: [String], timeout: Duration = .seconds(60))
        async throws -> [String]
    {
        let client = try mesh.client(agent)
        let wanted = Set(ids)
        return try await TestMesh.eventually("\(ids.count) messages at \(agent)", timeout: timeout) {
            var all: [String] = []
            var cursor: Int64 = 0
            for _ in 0..<100 {
                let page = try await client.messages(after: cursor, limit: 500, wait: nil)
                all += page.messages.map(\.id)
                if page.messages.isEmpty { break }
                cursor = page.cursor
            }
            return wanted.isSubset(of: Set(all)) ? all : nil
        }
    }

    @Test func aConversationMovesToTheDirectPathWithNothingLostOrRepeated() async throws {
        let mesh = try TestMesh.make("direct")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            let (didA, didB) = try await TestMesh.pair(mesh)
            // The first message goes through the relay and makes a offer b a direct path.
            let first = try await Self.send(mesh, from: "a", to: didB, count: 1, tag: "first")
            _ = try await Self.received(mesh, "b", first)
            _ = try await TestMesh.eventually("a direct path at both ends") {
                let upA = try await Self.metric(mesh, "a", "meshpeer_direct_upgrades_total")
                let upB = try await Self.metric(mesh, "b", "meshpeer_direct_upgrades_total")
                return upA >= 1 && upB >= 1 ? true : nil
            }
            // Now 200 each way: all arrive once, in order, and they came over the channel (counted at the receiver).
            async let toB = Self.send(mesh, from: "a", to: didB, count: 200, tag: "a→b")
            async let toA = Self.send(mesh, from: "b", to: didA, count: 200, tag: "b→a")
            let (sentToB, sentToA) = try await (toB, toA)
            let inboxB = try await Self.received(mesh, "b", sentToB)
            let inboxA = try await Self.received(mesh, "a", sentToA)
            #expect(inboxB == first + sentToB, "exactly once, in order")
            #expect(inboxA == sentToA, "exactly once, in order")
            #expect(try await Self.metric(mesh, "b", "meshpeer_direct_messages_received_total") >= 200)
            #expect(try await Self.metric(mesh, "a", "meshpeer_direct_messages_received_total") >= 200)
            #expect(try await Self.metric(mesh, "a", "meshpeer_duplicates_dropped_total") == 0)
            // The receipts came back (over the channel too), so a's outbox is empty of pending messages.
            let client = try mesh.client("a")
            _ = try await TestMesh.eventually("every receipt at a") {
                let last = try await client.sentMessage(id: sentToB.last!)
                return last.state == "delivered" ? true : nil
            }
            // The audit log names the path of each message it records.
            let page = try await mesh.client("b").audit(after: 0, limit: 1_000)
            let paths = page.entries.filter { $0.kind == "message.received" }.map(\.path)
            #expect(paths.filter { $0 == "direct" }.count >= 200)
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}
