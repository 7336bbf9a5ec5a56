import Foundation
import Hummingbird
import MeshPeer
import NIOCore
import ServiceLifecycle

/// `GET /v1/events` as server-sent events. Each `NodeEvent` becomes
///
///     event: <type>
///     id: <cursor>          (when the event has one)
///     data: <NodeEvent as JSON>
///
/// and a comment line keeps an idle connection alive. The stream ends when the client goes away, the node's
/// stream ends, or the server shuts down gracefully.
enum EventStream {
    /// Events waiting for a slow client. Beyond this the oldest waiting events stay and new ones are dropped;
    /// the next event that gets through carries the count in `dropped`, and the client catches up by cursor.
    static let capacity = 256

    enum Item: Sendable {
        case event(NodeEvent)
        case keepAlive
    }

    /// Subscribes before the response head goes out, so a client that has the head receives every later event.
    /// With `tokens`, the stream ends when the token it was opened with is rotated away.
    static func response(
        control: any NodeControl,
        request: Request,
        keepAlive: Duration,
        endOn tokens: APITokenKeeper? = nil
    ) async -> Response {
        let generation = tokens?.generation
        let events = await control.subscribe()
        let headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store",
        ]
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                let (items, sink) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
                try await request.body.consumeWithInboundCloseHandler { _ in
                    await withGracefulShutdownHandler {
                        await withTaskGroup(of: Void.self) { group in
                            group.addTask { await forward(events, to: sink) }
                            group.addTask { await tick(every: keepAlive, into: sink) }
                            if let tokens, let generation {
                                group.addTask {
                                    await tokens.waitForRotation(after: generation)
                                    if !Task.isCancelled { sink.finish() }
                                }
                            }
                            do {
                                try await writer.write(ByteBuffer(string: ": connected\n\n"))
                                for await item in items {
                                    if let bytes = encode(item) { try await writer.write(bytes) }
                                }
                            } catch {
                                // The client went away mid-write: nothing to tell it.
                            }
                            sink.finish()
                            group.cancelAll()
                        }
                    } onGracefulShutdown: {
                        sink.finish()
                    }
                } onInboundClosed: {
                    sink.finish()
                }
                try? await writer.finish(nil)
            }
        )
    }

    /// Moves the node's events into the bounded buffer, counting the ones that do not fit.
    private static func forward(_ events: AsyncStream<NodeEvent>, to sink: AsyncStream<Item>.Continuation) async {
        var lost = 0
        for await var event in events {
            event.dropped += lost
            switch sink.yield(.event(event)) {
            case .enqueued: lost = 0
            case .dropped: lost = event.dropped + 1
            case .terminated: return
            @unknown default: return
            }
        }
        sink.finish()
    }

    private static func tick(every interval: Duration, into sink: AsyncStream<Item>.Continuation) async {
        while (try? await Task.sleep(for: interval)) != nil {
            if case .terminated = sink.yield(.keepAlive) { return }
        }
    }

    /// nil for an event that cannot be encoded (it cannot happen for values decoded from JSON).
    static func encode(_ item: Item) -> ByteBuffer? {
        switch item {
        case .keepAlive:
            return ByteBuffer(string: ": keep-alive\n\n")
        case .event(let event):
            var text = "event: \(event.type.rawValue)\n"
            if let cursor = event.cursor { text += "id: \(cursor)\n" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            guard let json = try? encoder.encode(event) else { return nil }
            text += "data: \(String(decoding: json, as: UTF8.self))\n\n"
            return ByteBuffer(string: text)
        }
    }
}
