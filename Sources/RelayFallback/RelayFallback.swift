import MeshCore

/// Volunteer relays over WebSocket with durable store-and-forward. See docs/relay.md.
public enum RelayFallbackModule {
    /// The largest envelope a relay forwards.
    public static let maximumEnvelopeByteCount = 1_048_576
}
