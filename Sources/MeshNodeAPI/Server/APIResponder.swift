import Foundation
import Hummingbird
import MeshPeer

/// The whole local API as one Hummingbird responder: authenticate, resolve the route, call the node, write the
/// result. It holds no state of its own; everything it knows comes from the `NodeControl`.
struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let control: any NodeControl
    /// The current bearer token; rotating it cuts off the old one at once (`APITokenKeeper`).
    let tokens: APITokenKeeper
    let configuration: LocalAPIConfiguration
    /// The dashboard's login codes and sessions (the one piece of state the server keeps; decision 0091).
    let dashboardSessions = DashboardSessionStore()

    func respond(to request: Request, context: Context) async throws -> Response {
        if DashboardServer.owns(request.uri.path) {
            // The owner's browser: a session cookie instead of the bearer token (DashboardServer checks it).
            let dashboard = DashboardServer(
                control: control,
                sessions: dashboardSessions,
                keepAlive: configuration.eventKeepAlive
            )
            return await dashboard.respond(to: request)
        }
        if let refusal = authenticate(request) { return APIResponse.error(refusal) }
        let route: APIRoute
        switch APIRoute.resolve(method: request.method, path: request.uri.path) {
        case .success(let resolved):
            route = resolved
        case .failure(.notFound):
            return APIResponse.error(
                NodeAPIError(.notFound, "no endpoint at \(APIQuery.quote(request.uri.path)); see docs/openapi.yaml")
            )
        case .failure(.methodNotAllowed(let allowed)):
            return APIResponse.methodNotAllowed(allowed)
        case .failure(.badPath(let reason)):
            return APIResponse.error(NodeAPIError(.badRequest, reason))
        }
        do {
            return try await handle(route, request)
        } catch {
            return APIResponse.error(error)
        }
    }

    /// nil when the request carries `Authorization: Bearer <token>` with this node's token.
    private func authenticate(_ request: Request) -> NodeAPIError? {
        let values = request.headers[values: .authorization]
        guard values.count == 1, let header = values.first else {
            return NodeAPIError(
                .unauthorized,
                values.isEmpty
                    ? "missing bearer token: send 'Authorization: Bearer <token>' with the token in the node's "
                        + "data directory (api-token)"
                    : "send exactly one Authorization header"
            )
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return NodeAPIError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        guard tokens.matches(parts[1].trimmingCharacters(in: .whitespaces)) else {
            return NodeAPIError(.unauthorized, "wrong bearer token")
        }
        return nil
    }
}
