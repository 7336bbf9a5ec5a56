import Foundation
import Hummingbird
import MeshPeer
import NIOCore

/// How every response body is written: JSON with the models' snake_case keys, and errors as
/// `{"error": {"code": "...", "message": "..."}}` whatever went wrong.
enum APIResponse {
    /// The error body. `code` is a `NodeAPIError.Code` raw value, or one of the HTTP layer's own
    /// (`method_not_allowed`, `internal`).
    struct ErrorBody: Codable, Sendable {
        struct Detail: Codable, Sendable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            let data = try encoder.encode(value)
            return Response(
                status: status,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        } catch {
            // A value the node produced cannot be encoded (a non-finite number): the node's fault, not the agent's.
            return failure(
                status: .internalServerError,
                code: "internal",
                message: "the node produced a response that is not valid JSON"
            )
        }
    }

    static func error(_ error: NodeAPIError) -> Response {
        var response = failure(status: .init(code: error.httpStatus), code: error.code.rawValue, message: error.message)
        if error.code == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"meshpeer\""
        }
        if error.code == .tooLarge {
            // The rest of an oversize body was never read: the connection cannot carry another request.
            response.headers[.connection] = "close"
        }
        return response
    }

    static func failure(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let body = ErrorBody(error: .init(code: code, message: message))
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"code":"internal","message":""}}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func methodNotAllowed(_ allowed: [HTTPRequest.Method]) -> Response {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var response = failure(
            status: .methodNotAllowed,
            code: "method_not_allowed",
            message: "this endpoint takes \(list) only"
        )
        response.headers[.allow] = list
        return response
    }

    static func text(_ text: String, contentType: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
