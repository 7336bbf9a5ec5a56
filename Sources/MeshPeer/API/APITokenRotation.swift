/// The answer to `POST /v1/token/rotate`. It never carries the new token: whoever rotates because a token leaked
/// must not hand the new one to the same leak. Clients read it from the node's `api-token` file.
public struct APITokenRotation: Codable, Hashable, Sendable {
    /// When the old token stopped working (RFC 3339).
    public var rotatedAt: String
    /// The event streams that were open under the old token and were closed.
    public var closedEventStreams: Int

    public init(rotatedAt: String, closedEventStreams: Int) {
        self.rotatedAt = rotatedAt
        self.closedEventStreams = closedEventStreams
    }

    enum CodingKeys: String, CodingKey {
        case rotatedAt = "rotated_at"
        case closedEventStreams = "closed_event_streams"
    }
}
