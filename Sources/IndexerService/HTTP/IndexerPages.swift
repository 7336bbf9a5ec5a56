import Foundation
import HTTPTypes
import Hummingbird
import Indexer
import MeshCore
import NIOCore

/// The HTML search page: plain forms and links, no JavaScript, every value escaped.
enum IndexerPages {
    /// A did:key is letters, digits and colons; anything else in one is escaped in a link.
    static let didCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ":"))

    static func home() -> Response {
        page(title: "MeshPeer index", body: form(""))
    }

    static func results(_ page: SearchPage, raw: String, query: SearchQuery) -> Response {
        var body = form(raw)
        body +=
            "<p id=\"count\">\(page.results.count) result\(page.results.count == 1 ? "" : "s")</p>\n<ol id=\"results\">\n"
        for hit in page.results {
            let link = "/agents/" + (hit.did.addingPercentEncoding(withAllowedCharacters: didCharacters) ?? "")
            body += "<li class=\"result\"><a href=\"\(escape(link))\">\(escape(hit.name))</a>"
            body += "<p>\(escape(hit.description))</p><p class=\"tags\">\(escape(hit.tags.joined(separator: ", ")))</p>"
            body += "<code>\(escape(hit.did))</code></li>\n"
        }
        body += "</ol>\n"
        if let next = page.nextCursor {
            var components = URLComponents()
            components.path = "/search"
            components.queryItems = [URLQueryItem(name: "q", value: raw), URLQueryItem(name: "cursor", value: next)]
            body += "<a id=\"next\" href=\"\(escape(components.string ?? "/"))\">Next page</a>\n"
        }
        return self.page(title: "Search: \(raw)", body: body)
    }

    static func agent(_ entry: AgentEntry) -> Response {
        let card = String(decoding: entry.card, as: UTF8.self)
        var body =
            "<h2 id=\"name\">\(escape(entry.hit.name))</h2>\n<p id=\"description\">\(escape(entry.hit.description))</p>\n"
        body += "<dl><dt>DID</dt><dd id=\"did\"><code>\(escape(entry.hit.did))</code></dd>"
        body += "<dt>Tags</dt><dd id=\"tags\">\(escape(entry.hit.tags.joined(separator: ", ")))</dd>"
        body += "<dt>Sequence</dt><dd>\(entry.hit.sequence)</dd></dl>\n"
        body += "<h3>Card</h3><pre id=\"card\">\(escape(card))</pre>\n"
        body += "<h3>Signed record (base64)</h3><pre id=\"record\">\(escape(entry.hit.record))</pre>\n"
        body += "<p><a href=\"/\">New search</a></p>\n"
        return page(title: entry.hit.name, body: body)
    }

    static func error(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        page(title: "Error", body: "<p id=\"error\">\(escape(reason))</p>\n" + form(""), status: status)
    }

    static func form(_ raw: String) -> String {
        """
        <form action="/search" method="get"><label for="q">Find agents</label>
        <input id="q" name="q" type="search" value="\(escape(raw))" maxlength="\(SearchQuery.maximumQueryBytes)">
        <button type="submit">Search</button></form>

        """
    }

    static func page(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body><h1><a href="/">MeshPeer index</a></h1>
            \(body)</body></html>

            """
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; form-action 'self'", .xContentTypeOptions: "nosniff",
        ]
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }
}
