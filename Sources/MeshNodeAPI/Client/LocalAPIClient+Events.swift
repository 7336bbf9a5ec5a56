import Foundation
import MeshPeer
import NIOCore
import NIOHTTP1

/// `GET /v1/events` from the client side.
extension LocalAPIClient {
    /// Events buffered for a slow consumer before new ones are dropped (counted in the next event's `dropped`).
    static let eventBuffer = 256

    /// The node's live events. Connects lazily; errors (401, the node going away) end the stream by throwing.
    /// Stopping iteration closes the connection.
    public func events() -> AsyncThrowingStream<NodeEvent, any Error> {
        let (stream, sink) = AsyncThrowingStream<NodeEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.eventBuffer)
        )
        let task = Task { await pump(into: sink, connected: nil) }
        sink.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Like `events()`, but returns only once the node has accepted the subscription, so every event after this
    /// call returns is delivered (read the backlog with `messages(after:)` after this, not before).
    public func connectEvents() async throws(NodeAPIError) -> AsyncThrowingStream<NodeEvent, any Error> {
        let (stream, sink) = AsyncThrowingStream<NodeEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.eventBuffer)
        )
        let (connected, connectedSink) = AsyncStream<NodeAPIError?>.makeStream()
        let task = Task { await pump(into: sink, connected: connectedSink) }
        sink.onTermination = { _ in task.cancel() }
        for await outcome in connected {
            if let outcome { throw outcome }
            return stream
        }
        throw NodeAPIError(.unavailable, "the event stream ended before it started")
    }

    /// Runs one event-stream request to its end, feeding `sink`. `connected` learns once whether it started.
    private func pump(
        into sink: AsyncThrowingStream<NodeEvent, any Error>.Continuation,
        connected: AsyncStream<NodeAPIError?>.Continuation?
    ) async {
        var parser = SSEParser()
        var failure: LoopbackHTTP.Reply?
        var lost = 0
        do {
            try await http.exchange(.GET, "/v1/events", token: token.value, accept: "text/event-stream") { head in
                if head.status.code >= 400 {
                    failure = LoopbackHTTP.Reply(
                        status: Int(head.status.code),
                        headers: head.headers,
                        body: ByteBuffer()
                    )
                } else {
                    connected?.yield(nil)
                    connected?.finish()
                }
            } onBody: { part in
                if var reply = failure {
                    var part = part
                    reply.body.writeBuffer(&part)
                    failure = reply
                    return
                }
                for event in try parser.feed(part.readableBytesView) {
                    guard var decoded = try Self.decodeEvent(event) else { continue }
                    decoded.dropped += lost
                    switch sink.yield(decoded) {
                    case .enqueued: lost = 0
                    case .dropped: lost = decoded.dropped + 1
                    case .terminated: throw CancellationError()
                    @unknown default: throw CancellationError()
                    }
                }
            }
            if let failure { throw Self.apiError(status: failure.status, body: failure.body) }
            sink.finish()
        } catch is CancellationError {
            sink.finish()
        } catch {
            let apiError = unreachable(error)
            connected?.yield(apiError)
            sink.finish(throwing: apiError)
        }
        connected?.finish()
    }

    /// nil for an event type this client does not know (a newer node): skipped, not an error.
    static func decodeEvent(_ event: SSEParser.Event) throws -> NodeEvent? {
        guard NodeEvent.Kind(rawValue: event.type) != nil else { return nil }
        do {
            return try JSONDecoder().decode(NodeEvent.self, from: Data(event.data.utf8))
        } catch {
            throw NodeAPIError(.unavailable, "the node sent a '\(event.type)' event this client cannot read: \(error)")
        }
    }
}
