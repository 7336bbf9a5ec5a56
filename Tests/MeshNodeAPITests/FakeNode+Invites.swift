import MeshPeer

/// The fake node is a listed agent: it makes no invites (409), has none, and finds nothing with one (the invite is
/// parsed as the real node does, so a malformed one is a 400).
extension FakeNode {
    func createInvite(_ request: InviteCreateRequest) async throws(NodeAPIError) -> InviteSummary {
        throw NodeAPIError(.conflict, "invites are for a private agent; this one is listed")
    }

    func invites() async throws(NodeAPIError) -> [InviteSummary] { [] }

    func revokeInvite(id: String) async throws(NodeAPIError) -> InviteSummary {
        throw NodeAPIError(.notFound, "no invite \(id)")
    }

    func resolveInvite(_ request: InviteResolveRequest) async throws(NodeAPIError) -> AgentSummary {
        do {
            _ = try Invite.parse(request.invite)
        } catch {
            throw NodeAPIError(.badRequest, error.description)
        }
        throw NodeAPIError(.notFound, "nothing is published under this invite")
    }
}
