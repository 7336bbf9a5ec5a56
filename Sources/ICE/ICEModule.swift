import MeshCore

/// STUN, candidates, NAT classification and RFC 8445 connectivity checks, all sans-IO. See docs/ice.md.
/// The sockets, interface enumeration and port mapping live in the separate `ICEDriver` target.
public enum ICEModule {
    /// The STUN magic cookie (RFC 8489 §5): bytes 4-7 of every STUN message.
    public static let magicCookie: UInt32 = 0x2112_A442
}
