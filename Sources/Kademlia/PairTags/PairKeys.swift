import MeshCore

/// What a node remembers of the nodes it has heard from, for pair tags (decision 0124): each one's key, whether it
/// takes tags, and the pair key once one was needed.
///
/// A node learns a peer's key only from a datagram that authenticated (a verified signature, or a tag that checked
/// out), so nothing here names a key its holder did not prove. The pair key is derived when first needed: to tag a
/// datagram to the peer, or to check one from it. A tag that fails is not remembered, so a stranger's forged tags
/// cost a derivation each (about a signature verification, the price of a forged signature) and evict nobody.
///
/// Bounded by `capacity`, evicting the oldest entry first (a ring, no scan). A node forgotten this way costs one
/// derivation when it is heard from again; no peer is refused for it.
struct PairKeys {
    struct Peer {
        var key: Ed25519.PublicKey
        var takesTags: Bool
        var pairKey: PairKey?
    }

    let capacity: Int
    let localKey: Ed25519.PublicKey
    private let agreementKey: X25519.PrivateKey
    private var peers: [NodeID: Peer] = [:]
    /// Insertion order, for eviction: `ring[next]` is the oldest once the ring is full.
    private var ring: [NodeID] = []
    private var next = 0
    private(set) var derived = 0

    init(signingKey: Ed25519.PrivateKey, capacity: Int) throws {
        self.capacity = max(1, capacity)
        localKey = signingKey.publicKey
        agreementKey = try signingKey.agreementKey()
    }

    var count: Int { peers.count }

    /// Notes the sender of a datagram whose signature verified, and whether it said it takes tags.
    mutating func noteSigned(_ key: Ed25519.PublicKey, id: NodeID, takesTags: Bool) {
        if peers[id] != nil {
            peers[id]?.takesTags = takesTags
        } else {
            insert(Peer(key: key, takesTags: takesTags, pairKey: nil), id: id)
        }
    }

    /// The peer's key and the pair key, when the peer takes tags and its key is known; derives the pair key the
    /// first time. Nil means: sign.
    mutating func keys(forSendingTo id: NodeID) -> (peer: Ed25519.PublicKey, pairKey: PairKey)? {
        guard let peer = peers[id], peer.takesTags else { return nil }
        if let pairKey = peer.pairKey { return (peer.key, pairKey) }
        guard let pairKey = derive(with: peer.key) else {
            peers[id]?.takesTags = false
            return nil
        }
        peers[id]?.pairKey = pairKey
        return (peer.key, pairKey)
    }

    /// Whether a received tagged message's tag checks out; a sender met for the first time is remembered only then.
    mutating func check(_ message: TaggedMessage, id: NodeID) -> Bool {
        if let known = peers[id], let pairKey = known.pairKey {
            guard message.isTagValid(recipient: localKey, key: pairKey) else { return false }
            peers[id]?.takesTags = true
            return true
        }
        guard let pairKey = derive(with: message.sender),
            message.isTagValid(recipient: localKey, key: pairKey)
        else { return false }
        if peers[id] != nil {
            peers[id]?.pairKey = pairKey
            peers[id]?.takesTags = true
        } else {
            insert(Peer(key: message.sender, takesTags: true, pairKey: pairKey), id: id)
        }
        return true
    }

    private mutating func derive(with peer: Ed25519.PublicKey) -> PairKey? {
        derived += 1
        do {
            return try PairKey(local: agreementKey, localKey: localKey, peer: peer)
        } catch {
            // A key with no usable Montgomery form: such a peer is signed to, as before tags.
            return nil
        }
    }

    private mutating func insert(_ peer: Peer, id: NodeID) {
        if ring.count < capacity {
            ring.append(id)
        } else {
            peers[ring[next]] = nil
            ring[next] = id
            next = (next + 1) % capacity
        }
        peers[id] = peer
    }
}
