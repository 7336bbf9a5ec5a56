import MeshPeer

extension LocalAPIClient {
    /// A new invite to this private agent; the answer is the only time its text is shown.
    public func createInvite(_ request: InviteCreateRequest) async throws(NodeAPIError) -> InviteSummary {
        try await call(.POST, "/v1/invites", body: request)
    }

    public func invites() async throws(NodeAPIError) -> [InviteSummary] {
        try await call(.GET, "/v1/invites")
    }

    public func revokeInvite(id: String) async throws(NodeAPIError) -> InviteSummary {
        try await call(.POST, "/v1/invites/\(Self.escape(id))/revoke")
    }

    /// Finds the agent an invite leads to.
    public func resolveInvite(_ invite: String) async throws(NodeAPIError) -> AgentSummary {
        try await call(.POST, "/v1/invites/resolve", body: InviteResolveRequest(invite: invite))
    }
}
