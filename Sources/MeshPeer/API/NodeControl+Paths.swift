/// Direct paths over the API; a node without them says so.
extension NodeControl {
    public func paths() async throws(NodeAPIError) -> PathsReport {
        throw NodeAPIError(.unavailable, "this node has no direct paths")
    }

    public func resetPath(peer: String) async throws(NodeAPIError) -> PathsReport {
        throw NodeAPIError(.unavailable, "this node has no direct paths")
    }
}
