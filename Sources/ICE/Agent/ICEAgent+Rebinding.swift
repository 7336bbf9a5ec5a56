import MeshCore

extension ICEAgent {
    /// The owner validated that the peer now answers at `remote` (its NAT rebound; the owner's path validation,
    /// decision 0070) and moved its data there: the selected pair's remote becomes `remote`, so consent (RFC 7675)
    /// probes where the data goes. Without this, consent kept probing the old mapping, which no longer answers, and
    /// the channel died about 30 s after every rebinding (decision 0096).
    ///
    /// The pair keeps its base, priority and nomination; only its remote address changes, so the checklist does
    /// not grow however often the peer moves. A pair that already existed for the new address (a peer-reflexive
    /// one learned from the peer's checks) is folded into it. Consent is not renewed by the move itself: the new
    /// address must answer a consent check within what is left of `consentTimeout`, and one is sent at once.
    /// Returns false (and changes nothing) without a selected pair, for the same address, or across address
    /// families.
    @discardableResult
    public mutating func moveSelectedPair(to remote: TransportAddress, now: Timestamp) -> Bool {
        guard let key = selected, remote != key.remote, remote.ip.isIPv4 == key.remote.ip.isIPv4,
            pairIndex(key) != nil
        else { return false }
        let moved = PairKey(base: key.base, remote: remote)
        pairs.removeAll { $0.key == moved }
        triggered.removeAll { $0 == moved || $0 == key }
        transactions.removeAll { $0.pair == moved || $0.pair == key }
        guard let index = pairIndex(key) else { return false }
        let old = pairs[index].remote
        pairs[index].remote =
            remoteCandidates.first { $0.address == remote }
            ?? Candidate(kind: .peerReflexive, address: remote, priority: old.priority)
        pairs[index].state = .succeeded
        pairs[index].lastError = nil
        selected = moved
        sortPairs()
        guard let movedIndex = pairIndex(moved) else { return false }
        startCheck(movedIndex, useCandidate: false, consent: true, now: now)
        nextConsent = now + jitteredConsentInterval()
        return true
    }
}
