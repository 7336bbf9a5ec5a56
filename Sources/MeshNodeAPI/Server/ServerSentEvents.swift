import Hummingbird
import NIOCore
import ServiceLifecycle

/// The one body both event streams (`/v1/events` and the dashboard's) are written with: `: connected`, then what
/// the producers yield, and a `: keep-alive` comment every `keepAlive` when nothing else goes out.
///
/// It ends when the client goes away, when a producer finishes the sink, when `mayWrite` says no before a write,
/// or on the server's graceful shutdown. The buffer between the producers and a slow client holds `capacity`
/// chunks; what does not fit is the producers' to count (`yield` tells them).
enum ServerSentEvents {
    typealias Sink = AsyncStream<ByteBuffer>.Continuation

    static func body(
        request: Request,
        keepAlive: Duration,
        capacity: Int,
        bufferingOldest: Bool = true,
        mayWrite: @escaping @Sendable () async -> Bool = { true },
        producers: [@Sendable (Sink) async -> Void]
    ) -> ResponseBody {
        ResponseBody { writer in
            let (chunks, sink) = AsyncStream<ByteBuffer>.makeStream(
                bufferingPolicy: bufferingOldest ? .bufferingOldest(capacity) : .bufferingNewest(capacity)
            )
            try await request.body.consumeWithInboundCloseHandler { _ in
                await withGracefulShutdownHandler {
                    await withTaskGroup(of: Void.self) { group in
                        for producer in producers { group.addTask { await producer(sink) } }
                        group.addTask {
                            while (try? await Task.sleep(for: keepAlive)) != nil {
                                if case .terminated = sink.yield(ByteBuffer(string: ": keep-alive\n\n")) { return }
                            }
                        }
                        do {
                            try await writer.write(ByteBuffer(string: ": connected\n\n"))
                            for await chunk in chunks {
                                guard await mayWrite() else { break }
                                try await writer.write(chunk)
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
    }
}
