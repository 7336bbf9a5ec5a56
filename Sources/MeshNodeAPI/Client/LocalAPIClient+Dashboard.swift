import MeshPeer

extension LocalAPIClient {
    /// A one-time login for the owner's dashboard; open `baseURL + login.path` in a browser within a minute.
    public func dashboardLogin() async throws(NodeAPIError) -> DashboardLogin {
        try await call(.POST, "/v1/dashboard/login")
    }
}
