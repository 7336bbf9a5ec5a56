import MeshCore

/// Volunteer relays over WebSocket with durable store-and-forward. See docs/relay.md.
public enum RelayFallbackModule {
    /// The largest envelope a relay forwards: an envelope is opaque ciphertext of at most 1 MiB.
    public static let maximumEnvelopeByteCount = 1_048_576
    /// The largest relay frame payload: one maximum envelope plus its fixed fields, well under the frame ceiling.
    public static let maximumFramePayload = maximumEnvelopeByteCount + 1_024
    /// The largest WebSocket message a relay accepts: one frame with its header.
    public static let maximumWebSocketMessage = Frame.headerByteCount + maximumFramePayload
}
