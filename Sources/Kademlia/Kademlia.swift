import MeshCore

/// Kademlia DHT: discovery by DID and by capability, with no registry. See docs/kademlia.md.
public enum KademliaModule {
    /// Bucket size and lookup parallelism from the Kademlia paper, as libp2p uses them.
    public static let k = 20
    public static let alpha = 3
}
