import Hummingbird
import MeshPeer
import NIOCore

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
            body: ServerSentEvents.body(
                request: request,
                keepAlive: keepAlive,
                capacity: capacity,
                bufferingOldest: false,
                mayWrite: stillLoggedIn,
                producers: [
                    { sink in
                        for await event in events {
                            let line = ByteBuffer(string: "event: refresh\ndata: \(event.type.rawValue)\n\n")
                            if case .terminated = sink.yield(line) { return }
                        }
                        sink.finish()
                    }
                ]
            )
        )
    }
}
