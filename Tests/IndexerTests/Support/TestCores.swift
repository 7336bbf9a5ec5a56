import Kademlia
import MeshCore

/// Real Kademlia cores for the crawler's tests, seeded so every run sends the same datagrams.
enum TestCores {
    static func node(_ seed: UInt64, now: Timestamp) -> KademliaNode {
        var random = SeededRandom(seed: seed)
        return KademliaNode(
            signingKey: Ed25519.PrivateKey(using: &random),
            random: SeededRandom(seed: seed &+ 100),
            now: now
        )
    }
}
