import MeshPeer

extension LocalAPIClient {
    /// Replaces the API token. The node writes the new one to its `api-token` file and refuses this client's
    /// token from then on: make a new client from the data directory to go on.
    public func rotateAPIToken() async throws(NodeAPIError) -> APITokenRotation {
        try await call(.POST, "/v1/token/rotate")
    }
}
