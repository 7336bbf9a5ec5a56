import HTTPTypes
import Hummingbird
import MeshPeer

/// The checks every dashboard request passes before it reaches a handler, each a refusal with a reason:
///
/// - **Host** must name a loopback address, so a page on another site cannot reach the node through a DNS name
///   that it later points at 127.0.0.1 (DNS rebinding).
/// - **Same origin** for every state-changing request: `Origin` (or, when a browser sends none, `Referer`) must
///   be this server's own origin, and `Sec-Fetch-Site`, when present, must say `same-origin`.
/// - The **session cookie**, read from at most a few kilobytes of `Cookie` headers.
enum DashboardRequestCheck {
    static let cookieName = "meshpeer_dashboard"
    /// More `Cookie` text than this is refused rather than parsed.
    static let maximumCookieBytes = 4_096

    /// `http://<Host>` when the Host header names loopback, or the reason it does not.
    static func origin(of request: Request) -> Result<String, DashboardRefusal> {
        // The first Host header becomes the request's authority; a second one stays among the fields.
        guard let host = request.head.authority, !host.isEmpty, host.utf8.count <= 300,
            request.headers[values: DashboardHeaders.host].isEmpty
        else {
            return .failure(.init(.badRequest, "the request must carry exactly one Host header"))
        }
        guard LocalAPIConfiguration.isLoopback(hostName(host)) else {
            return .failure(
                .init(.forbidden, "the dashboard answers only on a loopback address (127.0.0.1, ::1 or localhost)")
            )
        }
        return .success("http://\(host)")
    }

    /// nil when the request comes from a page of this origin.
    static func sameOrigin(_ request: Request, origin: String) -> DashboardRefusal? {
        if let site = request.headers[DashboardHeaders.secFetchSite], site != "same-origin" {
            return .init(.forbidden, "cross-site request refused (Sec-Fetch-Site: \(DashboardForm.quote(site)))")
        }
        let origins = request.headers[values: .origin]
        if !origins.isEmpty {
            guard origins.count == 1, origins[0] == origin else {
                return .init(.forbidden, "cross-site request refused: Origin is not \(origin)")
            }
            return nil
        }
        guard let referer = request.headers[.referer] else {
            return .init(.forbidden, "request refused: it carries neither Origin nor Referer to show it is same-site")
        }
        guard referer == origin || referer.hasPrefix(origin + "/") else {
            return .init(.forbidden, "cross-site request refused: Referer is not on \(origin)")
        }
        return nil
    }

    /// The session cookie's value, if the request carries one (the last one wins, as browsers order them).
    static func sessionCookie(_ request: Request) -> String? {
        let headers = request.headers[values: .cookie]
        guard headers.reduce(0, { $0 + $1.utf8.count }) <= maximumCookieBytes else { return nil }
        var found: String?
        for header in headers {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
                found = pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return found
    }

    /// `127.0.0.1` from `127.0.0.1:8080`, `[::1]` from `[::1]:8080`, `localhost` from `localhost`.
    private static func hostName(_ host: String) -> String {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return host }
            return String(host[...close])
        }
        guard let colon = host.lastIndex(of: ":") else { return host }
        return String(host[..<colon])
    }
}

/// A dashboard request refused before (or by) its handler: a status and a sentence for the owner.
struct DashboardRefusal: Error, Sendable {
    enum Status: Int, Sendable {
        case badRequest = 400
        case unauthorized = 401
        case forbidden = 403
        case notFound = 404
        case methodNotAllowed = 405
        case tooLarge = 413
        case unsupportedMediaType = 415
    }

    /// The HTTP status code.
    var code: Int
    var message: String

    init(_ status: Status, _ message: String) {
        self.code = status.rawValue
        self.message = message
    }

    /// The node's own refusal (a knock already decided, the breaker tripped, …) keeps its status.
    init(_ error: NodeAPIError) {
        self.code = error.httpStatus
        self.message = error.message
    }
}
