/// Relay frame types, in the relay's range `0x0200-0x02FF` of the frame registry (docs/protocol.md).
///
/// One WebSocket binary message carries exactly one MeshCore `Frame` whose type is one of these.
public enum RelayFrameType: UInt16, Sendable, CaseIterable {
    /// Relay → client: the relay's key and a fresh nonce to sign.
    case challenge = 0x0201
    /// Client → relay: the client's key and its signature over the challenge.
    case authenticate = 0x0202
    /// Relay → client: login succeeded; the client's node ID and the relay's limits.
    case welcome = 0x0203
    /// Client → relay: an opaque envelope for a recipient node ID.
    case send = 0x0204
    /// Relay → client: an envelope was forwarded, stored, or recognised as a duplicate.
    case accepted = 0x0205
    /// Relay → client: a typed refusal (a limit, a protocol error).
    case refused = 0x0206
    /// Relay → client: an envelope for this client.
    case deliver = 0x0207
    /// Client → relay: these envelopes arrived; the relay may delete them.
    case ack = 0x0208
    /// Client → relay: an 8-byte token to echo; the client measures round trip and liveness with it.
    case ping = 0x0209
    /// Relay → client: the token of a ping.
    case pong = 0x020A
    /// Relay → client: several `accepted` answers in one frame (the relay coalesces a read burst's answers).
    case acceptedBatch = 0x020B
    /// Client → relay: the senders this client accepts (its contacts), replacing any earlier list. Envelopes
    /// from anyone else count against the recipient's smaller first-contact quota (docs/relay.md).
    case contacts = 0x020C
}
