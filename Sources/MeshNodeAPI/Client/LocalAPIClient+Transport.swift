import Foundation
import MeshPeer
import NIOCore
import NIOHTTP1

/// Requests, responses and errors: the one place that turns HTTP into models and `NodeAPIError`s.
extension LocalAPIClient {
    func call<Response: Decodable>(_ method: HTTPMethod, _ path: String) async throws(NodeAPIError) -> Response {
        try decode(try await perform(method, path, body: nil), method, path)
    }

    func call<Body: Encodable, Response: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Body
    )
        async throws(NodeAPIError) -> Response
    {
        let encoded: ByteBuffer
        do {
            encoded = ByteBuffer(bytes: try JSONEncoder().encode(body))
        } catch {
            throw NodeAPIError(.badRequest, "the request cannot be encoded as JSON: \(error)")
        }
        return try decode(try await perform(method, path, body: encoded), method, path)
    }

    /// One exchange; any status of 400 or more becomes the `NodeAPIError` in its body.
    func perform(
        _ method: HTTPMethod,
        _ path: String,
        body: ByteBuffer?
    ) async throws(NodeAPIError) -> LoopbackHTTP.Reply {
        let reply: LoopbackHTTP.Reply
        do {
            reply = try await http.request(method, path, token: token.value, body: body)
        } catch {
            throw unreachable(error)
        }
        guard reply.status < 400 else { throw Self.apiError(status: reply.status, body: reply.body) }
        return reply
    }

    private func decode<Response: Decodable>(
        _ reply: LoopbackHTTP.Reply,
        _ method: HTTPMethod,
        _ path: String
    )
        throws(NodeAPIError) -> Response
    {
        do {
            return try JSONDecoder().decode(Response.self, from: Data(reply.body.readableBytesView))
        } catch {
            throw NodeAPIError(
                .unavailable,
                "the node's answer to \(method) \(path) is not what this client understands: \(error)"
            )
        }
    }

    /// A transport failure as the agent should read it: the node is not there (or went away).
    func unreachable(_ error: any Error) -> NodeAPIError {
        if let error = error as? NodeAPIError { return error }
        return NodeAPIError(
            .unavailable,
            "cannot reach the node's API at \(baseURL) (is `meshpeer run` still running?): \(error)"
        )
    }

    /// Decodes `{"error": {"code", "message"}}`; a code this client does not know maps from the HTTP status.
    static func apiError(status: Int, body: ByteBuffer) -> NodeAPIError {
        let detail = try? JSONDecoder().decode(APIResponse.ErrorBody.self, from: Data(body.readableBytesView)).error
        let code =
            detail.flatMap { NodeAPIError.Code(rawValue: $0.code) }
            ?? NodeAPIError.Code.allCases.first { NodeAPIError($0, "").httpStatus == status }
            ?? (status >= 500 ? .unavailable : .badRequest)
        return NodeAPIError(code, detail?.message ?? "the node answered HTTP \(status)")
    }
}
