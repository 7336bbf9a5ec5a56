import Hummingbird
import MeshPeer

/// The invite endpoints (docs/exposure.md): make, list and revoke invites to this private agent, and find an agent
/// with an invite someone handed over.
extension APIResponder {
    func handleInvite(_ route: APIRoute, _ request: Request) async throws(NodeAPIError) -> Response {
        _ = try APIQuery(request.uri.query, allowed: [])
        switch route {
        case .listInvites:
            return APIResponse.json(try await control.invites())
        case .createInvite:
            let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
            let create =
                body.readableBytes == 0
                ? InviteCreateRequest()
                : try APIBody.decode(InviteCreateRequest.self, from: body, fields: ["label", "expires_in_seconds"])
            if let label = create.label, label.utf8.count > InviteCreateRequest.maximumLabelBytes {
                throw NodeAPIError(
                    .badRequest,
                    "field 'label' is at most \(InviteCreateRequest.maximumLabelBytes) bytes"
                )
            }
            if let seconds = create.expiresInSeconds, !InviteCreateRequest.expiryRange.contains(seconds) {
                throw NodeAPIError(
                    .badRequest,
                    "field 'expires_in_seconds' must be within \(InviteCreateRequest.expiryRange)"
                )
            }
            return APIResponse.json(try await control.createInvite(create), status: .created)
        case .revokeInvite(let id):
            return APIResponse.json(try await control.revokeInvite(id: id))
        case .resolveInvite:
            let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
            let resolve = try APIBody.decode(InviteResolveRequest.self, from: body, fields: ["invite"])
            try Validate.nonEmpty(resolve.invite, field: "invite")
            guard resolve.invite.utf8.count <= Invite.maximumTextLength else {
                throw NodeAPIError(.badRequest, "field 'invite' is at most \(Invite.maximumTextLength) bytes")
            }
            return APIResponse.json(try await control.resolveInvite(resolve))
        default:
            throw NodeAPIError(.badRequest, "not an invite endpoint")
        }
    }
}
