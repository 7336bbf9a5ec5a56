import HTTPTypes
import Hummingbird
import MeshCore
import NIOCore

/// Escaping and the shape of every dashboard response: the security headers on all of them, HTML pages, errors
/// as a page that says what went wrong, redirects after a form (so a reload never repeats it).
enum DashboardHTML {
    /// Text for an element or a quoted attribute: everything that could end either is escaped.
    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    /// A DID shortened for a table cell, the full value in its title.
    static func did(_ did: String) -> String {
        let short = did.count > 28 ? did.prefix(20) + "…" + did.suffix(6) : Substring(did)
        return "<code title=\"\(escape(did))\">\(escape(String(short)))</code>"
    }

    /// Headers on every dashboard response: no caching, no framing, no sniffing, no CORS, only our own script.
    static func headers(contentType: String) -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: contentType, .cacheControl: "no-store",
            .contentSecurityPolicy: DashboardAssets.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
        ]
        headers[DashboardHeaders.frameOptions] = "DENY"
        headers[DashboardHeaders.referrerPolicy] = "same-origin"
        headers[.crossOriginResourcePolicy] = "same-origin"
        return headers
    }

    static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: headers(contentType: "text/html; charset=utf-8"),
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func fragment(_ html: String) -> Response { page(html) }

    /// A whole page: the title, the style, the body, and the one script.
    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title><style>\(DashboardAssets.style)</style></head>
        <body>\(body)<script>\(DashboardAssets.script)</script></body></html>
        """
    }

    static func error(_ refusal: DashboardRefusal) -> Response {
        var hint = ""
        if refusal.code == 401 {
            hint =
                "<p>Run <code>meshpeer dashboard</code> on this machine to get a new login link.</p>"
                + DashboardPage.loginForm
        }
        let body = """
            <main><h1>\(refusal.code == 401 ? "Log in to the dashboard" : "The dashboard refused this request")</h1>
            <p role="alert">\(escape(refusal.message))</p>\(hint)<p><a href="/dashboard">Back to the dashboard</a></p></main>
            """
        var response = page(document(title: "MeshPeer dashboard", body: body), status: .init(code: refusal.code))
        if refusal.code == 413 { response.headers[.connection] = "close" }
        return response
    }

    /// 303 See Other after a form, to `location` (a path on this server).
    static func redirect(to location: String, cookie: String? = nil) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(
            status: .seeOther,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: "See \(location)\n"))
        )
    }
}

/// Header names HTTPTypes does not spell out.
enum DashboardHeaders {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let host = HTTPField.Name("Host")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
