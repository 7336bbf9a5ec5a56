import MeshCore

/// X3DH and the Double Ratchet with header encryption. See docs/ratchet.md.
public enum RatchetModule {
    /// Messages up to 1 MiB.
    public static let maximumPlaintextByteCount = 1_048_576
}
