/// The node's version, reported by `meshpeer --version` and in agent records.
public enum MeshPeerVersion {
    public static let string = "0.1.0"
    /// The wire protocol generation this build speaks (docs/protocol.md).
    public static let protocolVersion: UInt8 = 1
}
