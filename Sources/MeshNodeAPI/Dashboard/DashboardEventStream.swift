import Hummingbird
import MeshPeer
import NIOCore
import ServiceLifecycle

/// `GET /dashboard/events`: the node's event stream reduced to what the page needs, a `refresh` naming the kind
/// of change (`knock`, `message`, …). No message body or peer reaches the browser this way; the page reloads its
/// panels, which show metadata only. Bounded like the API's stream: a slow page misses refreshes, not memory.
enum DashboardEventStream {
    static let capacity = 16

    /// `stillLoggedIn` is asked before every write: the stream ends (within one keep-alive) once the session does,
    /// at logout, expiry or a rotation of the API token.
    static func response(
        control: any NodeControl,
        request: Request,
        keepAlive: Duration,
        stillLoggedIn: @escaping @Sendable () async -> Bool
    ) async -> Response {
        let events = await control.subscribe()
        var headers = DashboardHTML.headers(contentType: "text/event-stream")
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                let (lines, sink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(capacity))
                try await request.body.consumeWithInboundCloseHandler { _ in
                    await withGracefulShutdownHandler {
                        await withTaskGroup(of: Void.self) { group in
                            group.addTask {
                                for await event in events {
                                    if case .terminated = sink.yield("event: refresh\ndata: \(event.type.rawValue)\n\n")
                                    {
                                        return
                                    }
                                }
                                sink.finish()
                            }
                            group.addTask {
                                while (try? await Task.sleep(for: keepAlive)) != nil {
                                    if case .terminated = sink.yield(": keep-alive\n\n") { return }
                                }
                            }
                            do {
                                try await writer.write(ByteBuffer(string: ": connected\n\n"))
                                for await line in lines {
                                    guard await stillLoggedIn() else { break }
                                    try await writer.write(ByteBuffer(string: line))
                                }
                            } catch {
                                // The page went away mid-write: nothing to tell it.
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
}
