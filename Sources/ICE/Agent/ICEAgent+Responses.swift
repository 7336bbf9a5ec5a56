import MeshCore

extension ICEAgent {
    /// RFC 8445 §7.2.5: match the transaction, authenticate with the peer's password, require symmetric
    /// addresses, then mark the pair valid, handle 487 by switching role, and finish nominations.
    mutating func handleResponse(
        _ decoded: DecodedSTUN,
        from: TransportAddress,
        to: TransportAddress,
        now: Timestamp
    )
        -> ICEInputResult
    {
        let response = decoded.message
        guard let t = transactions.first(where: { $0.id == response.transactionID }) else {
            return handlePredictionResponse(decoded, from: from, to: to, now: now)
        }
        guard let remote = remoteCredentials, decoded.verifyIntegrity(key: Array(remote.pwd.utf8)) else {
            return .handled  // forged or corrupted: ignore, the retransmission timer keeps running
        }
        transactions.removeAll { $0.id == t.id }
        guard let index = pairIndex(t.pair) else { return .handled }
        pairs[index].responsesReceived += 1
        guard from == t.pair.remote, to == t.pair.base else {
            pairs[index].state = .failed
            pairs[index].lastError = "response came from \(from) to \(to): not symmetric"
            return .handled
        }
        if response.messageClass == .errorResponse {
            let code = response.errorCode ?? 0
            if code == 487, !t.consent {
                let target: ICERole = t.role == .controlling ? .controlled : .controlling
                if role != target { switchRole(to: target) }
                pairs[index].state = .waiting
                triggered.append(t.pair)
                scheduleWork(now: now)
            } else if !t.consent {
                pairs[index].state = .failed
                pairs[index].lastError = "error response \(code)"
                if nominating == t.pair { nominating = nil }
            }
            return .handled
        }
        if t.consent {
            lastConsent = now
            return .handled
        }
        if pairs[index].roundTrip == nil { pairs[index].roundTrip = now - t.firstSent }
        pairs[index].state = .succeeded
        pairs[index].lastError = nil
        if firstValidAt == nil { firstValidAt = now }
        learnPeerReflexive(response.xorMappedAddress, base: t.pair.base, now: now)
        let foundation = pairs[index].foundation
        for other in pairs.indices where pairs[other].state == .frozen && pairs[other].foundation == foundation {
            pairs[other].state = .waiting
        }
        if (t.useCandidate && role == .controlling) || (pairs[index].nominateOnSuccess && role == .controlled) {
            select(index, now: now)
        } else {
            nominateIfReady(now: now)
        }
        return .handled
    }

    /// A mapped address we did not know is a local peer-reflexive candidate (§7.2.5.3.1); it is kept for the
    /// owner to signal, while checks keep using its base.
    mutating func learnPeerReflexive(_ mapped: TransportAddress?, base: TransportAddress, now: Timestamp) {
        guard let mapped, !localCandidates.contains(where: { $0.address == mapped }),
            localCandidates.count < config.maximumLocalCandidates
        else { return }
        localCandidates.append(Candidate(kind: .peerReflexive, address: mapped, base: base))
    }
}
