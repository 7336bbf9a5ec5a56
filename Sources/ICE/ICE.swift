import MeshCore

/// STUN, candidate gathering, port mapping and RFC 8445 connectivity checks. See docs/ice.md.
public enum ICEModule {
    /// The STUN magic cookie (RFC 8489 §5): bytes 4-7 of every STUN message.
    public static let magicCookie: UInt32 = 0x2112_A442
}
