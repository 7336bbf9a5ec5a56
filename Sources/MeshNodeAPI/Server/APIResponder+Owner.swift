import Hummingbird
import MeshPeer

/// The owner's controls: the audit log and the circuit breaker (docs/owner-controls.md). Behind the same bearer
/// token as every /v1 route.
extension APIResponder {
    func handleOwner(_ route: APIRoute, _ request: Request) async throws(NodeAPIError) -> Response {
        switch route {
        case .audit:
            let query = try APIQuery(request.uri.query, allowed: ["after", "limit"])
            let after = try query.integer("after", in: 0...Int64.max, default: 0)
            let limit = Int(try query.integer("limit", in: 1...1_000, default: 100))
            return APIResponse.json(try await control.auditEntries(after: UInt64(after), limit: limit))
        case .auditVerify:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.verifyAudit())
        case .breaker:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.breaker())
        case .breakerTrip:
            _ = try APIQuery(request.uri.query, allowed: [])
            let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
            let trip = try APIBody.decode(BreakerTripRequest.self, from: body, fields: ["reason"])
            try Validate.nonEmpty(trip.reason, field: "reason")
            return APIResponse.json(try await control.tripBreaker(reason: trip.reason))
        case .breakerReset:
            _ = try APIQuery(request.uri.query, allowed: [])
            let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
            if body.readableBytes > 0 {
                _ = try APIBody.decode(BreakerResetRequest.self, from: body, fields: [])
            }
            return APIResponse.json(try await control.resetBreaker())
        default:
            throw NodeAPIError(.notFound, "not an owner route")
        }
    }
}

/// `POST /v1/breaker/reset` takes an empty object (or no body).
struct BreakerResetRequest: Decodable {}
