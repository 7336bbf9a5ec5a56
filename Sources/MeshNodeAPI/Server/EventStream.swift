import Foundation
import Hummingbird
import MeshPeer
import NIOCore

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
        var producers: [@Sendable (ServerSentEvents.Sink) async -> Void] = [{ sink in await forward(events, to: sink) }]
        if let tokens, let generation {
            producers.append { sink in
                await tokens.waitForRotation(after: generation)
                if !Task.isCancelled { sink.finish() }
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ServerSentEvents.body(
                request: request,
                keepAlive: keepAlive,
                capacity: capacity,
                producers: producers
            )
        )
    }

    /// Moves the node's events into the bounded buffer, counting the ones that do not fit.
    private static func forward(_ events: AsyncStream<NodeEvent>, to sink: ServerSentEvents.Sink) async {
        var lost = 0
        for await var event in events {
            event.dropped += lost
            guard let bytes = encode(event) else { continue }
            switch sink.yield(bytes) {
            case .enqueued: lost = 0
            case .dropped: lost = event.dropped + 1
            case .terminated: return
            @unknown default: return
            }
        }
        sink.finish()
    }

    /// nil for an event that cannot be encoded (it cannot happen for values decoded from JSON).
    static func encode(_ event: NodeEvent) -> ByteBuffer? {
        var text = "event: \(event.type.rawValue)\n"
        if let cursor = event.cursor { text += "id: \(cursor)\n" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let json = try? encoder.encode(event) else { return nil }
        text += "data: \(String(decoding: json, as: UTF8.self))\n\n"
        return ByteBuffer(string: text)
    }
}
