import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// The endpoints through `LocalAPIClient` over a real socket, checking what the agent gets back.
@Suite struct RoundTripTests {
    @Test func sendThenReadMessagesPageByPageWithTheCursor() async throws {
        try await APIHarness.with { api in
            let sent = try await api.client.send(
                SendRequest(to: FakeNode.peerDID, intent: "chat.message", body: .object(["text": .string("hi")]))
            )
            #expect(sent.state == "queued")
            #expect(try await api.client.sentMessage(id: sent.id) == sent)
            let raw = try await api.raw(
                api.request(
                    "POST",
                    "/v1/messages",
                    body: #"{"to":"\#(FakeNode.peerDID)","intent":"chat.message","body":{}}"#
                )
            )
            #expect(raw.status == 202)

            for text in ["one", "two", "three"] { await api.node.receive(body: .object(["text": .string(text)])) }
            let first = try await api.client.messages(after: 0, limit: 2)
            #expect(first.messages.map { $0.body["text"]?.stringValue } == ["one", "two"])
            #expect(first.cursor == first.messages.last?.cursor)
            let second = try await api.client.messages(after: first.cursor, limit: 2)
            #expect(second.messages.map { $0.body["text"]?.stringValue } == ["three"])
            let empty = try await api.client.messages(after: second.cursor)
            #expect(empty.messages.isEmpty)
            #expect(empty.cursor == second.cursor)

            // A long poll returns as soon as a message arrives.
            let cursor = second.cursor
            let client = api.client
            async let waited = client.messages(after: cursor, wait: .seconds(10))
            #expect(try await eventually { await api.node.inbox.count == 3 })
            await api.node.receive(body: .object(["text": .string("four")]))
            let page = try await waited
            #expect(page.messages.map { $0.body["text"]?.stringValue } == ["four"])
        }
    }

    @Test func statusFindKnockContactsAndMetrics() async throws {
        try await APIHarness.with { api in
            let status = try await api.client.status()
            #expect(status.did == FakeNode.ownDID)
            #expect(status.relays.first?.roundTripMs == 0.4)

            let found = try await api.client.find(.capability("translate.legal"))
            #expect(found.map(\.did) == [FakeNode.peerDID])
            #expect(try await api.client.find(.capability("a capability & more")).isEmpty)

            let knock = try await api.client.knock(
                KnockRequest(
                    to: FakeNode.strangerDID,
                    intent: "task.request",
                    purpose: "contract",
                    introducedBy: FakeNode.peerDID
                )
            )
            #expect(knock.state == "pending")
            #expect(knock.introducedBy == FakeNode.peerDID)
            let created = try await api.raw(
                api.request("POST", "/v1/knocks", body: #"{"to":"\#(FakeNode.peerDID)","intent":"x","purpose":"y"}"#)
            )
            #expect(created.status == 201)

            #expect(try await api.client.contacts().map(\.did) == [FakeNode.peerDID])
            let metrics = try await api.client.metrics()
            #expect(metrics.contains("meshpeer_messages_received_total 0"))
            let rawMetrics = try await api.raw(api.request("GET", "/metrics"))
            #expect(rawMetrics.header("Content-Type")?.hasPrefix("text/plain") == true)
        }
    }

    @Test func approveAndDenyHeldKnocks() async throws {
        try await APIHarness.with { api in
            let held = await api.node.holdIncomingKnock()
            let other = await api.node.holdIncomingKnock(from: FakeNode.peerDID)
            #expect(try await api.client.knocks().map(\.id) == [held.id, other.id])

            let approved = try await api.client.decide(knock: held.id, accept: true, reason: "welcome")
            #expect(approved.state == "accepted")
            #expect(approved.reason == "welcome")
            await #expect(throws: NodeAPIError.self) { try await api.client.decide(knock: held.id, accept: false) }
            let again = try await api.raw(api.request("POST", "/v1/knocks/\(held.id)/deny", body: ""))
            #expect(again.status == 409)

            // No body at all is a decision without a reason.
            let denied = try await api.raw(api.request("POST", "/v1/knocks/\(other.id)/deny"))
            #expect(denied.status == 200, "\(denied.text)")
            await #expect(throws: NodeAPIError(.notFound, "no incoming knock k-404")) {
                try await api.client.decide(knock: "k-404", accept: true)
            }
        }
    }

    @Test func theEndpointFileNamesTheRunningServerAndGoesAwayAtShutdown() async throws {
        let directory = try await APIHarness.with { api in
            let endpoint = try APIEndpointFile.read(from: api.directory)
            #expect(endpoint.url == api.url)
            #expect(endpoint.pid == getpid())
            #expect(api.client.baseURL == api.url)
            return api.directory
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/api.json"))
    }
}
