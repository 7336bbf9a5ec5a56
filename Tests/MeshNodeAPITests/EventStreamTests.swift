import Foundation
import MeshNodeAPI
import MeshPeer
import ServiceLifecycle
import Testing

/// `GET /v1/events`: events arrive as they happen, idle streams get keep-alives, and a graceful shutdown ends them.
@Suite struct EventStreamTests {
    @Test func aMessageArrivesOnTheEventStream() async throws {
        try await APIHarness.with { api in
            let events = try await api.client.connectEvents()
            let sent = await api.node.receive(body: .object(["text": .string("hello")]))
            var iterator = events.makeAsyncIterator()
            let event = try #require(try await iterator.next())
            #expect(event.type == .message)
            #expect(event.cursor == sent.cursor)
            #expect(event.message == sent)
            #expect(event.dropped == 0)

            let knock = await api.node.holdIncomingKnock()
            let next = try #require(try await iterator.next())
            #expect(next.type == .knock)
            #expect(next.knock == knock)
        }
    }

    @Test func theLazyStreamSubscribesAndStopsWhenDropped() async throws {
        try await APIHarness.with { api in
            do {
                let events = api.client.events()
                let subscribed = try await eventually { await api.node.subscriberCount == 1 }
                #expect(subscribed)
                await api.node.receive(body: .string("lazy"))
                var iterator = events.makeAsyncIterator()
                let event = try await iterator.next()
                #expect(event?.message?.body == .string("lazy"))
            }
            // The consumer is gone: the client closes the connection and the server drops its subscription.
            let unsubscribed = try await eventually { await api.node.subscriberCount == 0 }
            #expect(unsubscribed)
        }
    }

    @Test func anIdleStreamGetsKeepAlivesInTheSSEFormat() async throws {
        try await APIHarness.with(LocalAPIConfiguration(eventKeepAlive: .milliseconds(50))) { api in
            let reply = try await api.raw(
                api.request("GET", "/v1/events", headers: ["Accept: text/event-stream"]),
                until: { $0.contains(": keep-alive") }
            )
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "text/event-stream")
            #expect(reply.text.contains(": keep-alive"))

            // The first stream is closed; once the server has let go of it, the next subscription is the only one.
            let released = try await eventually { await api.node.subscriberCount == 0 }
            #expect(released)
            let framed = Task {
                try await api.raw(api.request("GET", "/v1/events"), until: { $0.contains("\"dropped\"") })
            }
            #expect(try await eventually { await api.node.subscriberCount == 1 })
            let message = await api.node.receive(body: .object(["text": .string("x")]))
            let text = try await framed.value.text
            #expect(text.contains("event: message\n"))
            #expect(text.contains("id: \(message.cursor)\n"))
            #expect(text.contains("data: {"))
        }
    }

    @Test func aGracefulShutdownEndsOpenStreams() async throws {
        let ended = try await APIHarness.with { api in
            let events = try await api.client.connectEvents()
            let reader = Task {
                var count = 0
                for try await _ in events { count += 1 }
                return count
            }
            await api.node.receive(body: .null)
            #expect(try await eventually { await api.node.inbox.count == 1 })
            // The harness would shut down after this closure; doing it here shows the stream ends because of it.
            await api.serviceGroup.triggerGracefulShutdown()
            return try await reader.value
        }
        #expect(ended == 1)
    }

    @Test func theStreamEndsWhenTheNodeEndsItsEvents() async throws {
        try await APIHarness.with { api in
            let events = try await api.client.connectEvents()
            await api.node.finishSubscriptions()
            var count = 0
            for try await _ in events { count += 1 }
            #expect(count == 0)
        }
    }
}
