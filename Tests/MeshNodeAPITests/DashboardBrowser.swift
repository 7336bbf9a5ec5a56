import Foundation
import MeshNodeAPI
import MeshPeer

/// What a browser does with the dashboard, as raw HTTP on the harness's real server: it sends a Host with the
/// port, an Origin on POSTs, and the session cookie once it has one. Each method says which of these to break.
struct DashboardBrowser: Sendable {
    let api: APIHarness
    var cookie: String?
    var csrf: String?

    init(_ api: APIHarness) { self.api = api }

    var authority: String { api.url.replacingOccurrences(of: "http://", with: "") }
    var origin: String { api.url }

    /// A one-time code from the bearer-token endpoint, as `meshpeer dashboard` gets it.
    func loginCode() async throws -> DashboardLogin {
        try await api.client.dashboardLogin()
    }

    /// Spends a fresh code and keeps the cookie and the CSRF token the dashboard page then carries.
    static func loggedIn(_ api: APIHarness) async throws -> DashboardBrowser {
        var browser = DashboardBrowser(api)
        let code = try await browser.loginCode().code
        let reply = try await browser.post("/dashboard/login", form: "code=\(code)")
        guard reply.status == 303, let cookie = Self.cookieValue(reply.header("Set-Cookie")) else {
            throw Failed("login answered \(reply.status): \(reply.body)")
        }
        browser.cookie = cookie
        let page = try await browser.get("/dashboard")
        browser.csrf = Self.csrf(in: page.body)
        return browser
    }

    func get(_ path: String, headers: [String] = []) async throws -> RawHTTP.Reply {
        try await api.raw(request("GET", path, headers: headers, body: nil))
    }

    /// A form POST with this origin, unless `origin` says otherwise (nil: no Origin header at all).
    func post(
        _ path: String,
        form: String,
        origin: String?? = .none,
        contentType: String = "application/x-www-form-urlencoded",
        headers: [String] = []
    ) async throws -> RawHTTP.Reply {
        var extra = ["Content-Type: \(contentType)"] + headers
        switch origin {
        case .none: extra.append("Origin: \(self.origin)")
        case .some(.some(let value)): extra.append("Origin: \(value)")
        case .some(.none): break
        }
        return try await api.raw(request("POST", path, headers: extra, body: form))
    }

    func request(_ method: String, _ path: String, host: String? = nil, headers: [String], body: String?) -> String {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(host ?? authority)", "Connection: close"]
        if let cookie { lines.append("Cookie: theme=dark; meshpeer_dashboard=\(cookie)") }
        lines += headers
        if let body { lines.append("Content-Length: \(body.utf8.count)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")
    }

    static func cookieValue(_ header: String?) -> String? {
        guard let header, header.hasPrefix("meshpeer_dashboard=") else { return nil }
        return header.dropFirst("meshpeer_dashboard=".count).split(separator: ";").first.map(String.init)
    }

    /// The CSRF token in the page's first form.
    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix(64))
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
