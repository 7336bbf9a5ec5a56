import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON and text responses with the headers every answer carries.
enum IndexerResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func error(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        let body = (try? encoder.encode(["error": ["code": code(status), "message": reason]])) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// The error code word, as the local API spells its own (`{"error": {"code": ..., "message": ...}}`).
    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad-request"
        case 404: "not-found"
        case 405: "method-not-allowed"
        case 429: "too-many-requests"
        default: "unavailable"
        }
    }

    /// One agent: the card as signed (JSON), the signed record bytes (base64) and when the index saw it.
    static func agent(_ entry: AgentEntry) throws -> Response {
        let card = (try? JSONSerialization.jsonObject(with: Data(entry.card))) ?? [:]
        let object: [String: Any] = [
            "did": entry.hit.did, "sequence": entry.hit.sequence, "expires_ms": entry.hit.expiresMs,
            "last_seen_ms": entry.hit.lastSeenMs, "first_seen_ms": entry.firstSeenMs, "tags": entry.hit.tags,
            "card": card, "record": entry.hit.record,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
