import MeshCore

/// What happens when prediction works: a probe reaches one of our prediction sockets (we are the opener), or
/// the answer to one of our probes comes back (we are the prober). Both feed the ordinary checklist.
extension ICEAgent {
    /// An authenticated request arrived at `base`: if it is one of our prediction sockets, it becomes a local
    /// candidate (paired with the sender by the caller) and we stop opening more mappings.
    mutating func adoptPredictionSocket(_ base: TransportAddress) {
        guard case .opening(var opener) = prediction.phase, opener.bases.contains(base),
            !opener.adopted.contains(base), opener.adopted.count < 4,
            !localCandidates.contains(where: { $0.base == base })
        else { return }
        opener.adopted.insert(base)
        opener.unopened = []
        prediction.phase = .opening(opener)
        if prediction.status.hit == nil { prediction.status.hit = base }
        localCandidates.append(Candidate(kind: .host, address: base, localPreference: 0))
    }

    /// An answer to a probe: authenticated, from exactly the probed address, to our probing socket. The answering
    /// mapping becomes a peer-reflexive remote candidate and its pair gets a triggered check; probing stops.
    mutating func handlePredictionResponse(
        _ decoded: DecodedSTUN,
        from: TransportAddress,
        to: TransportAddress,
        now: Timestamp
    ) -> ICEInputResult {
        guard case .probing(let prober) = prediction.phase,
            let port = prober.probes[decoded.message.transactionID]
        else { return .notOurs }
        guard let remote = remoteCredentials, decoded.verifyIntegrity(key: Array(remote.pwd.utf8)),
            decoded.message.messageClass == .successResponse, from == TransportAddress(ip: prober.ip, port: port),
            to == prober.base
        else { return .handled }
        prediction.phase = .finished
        prediction.status.hit = from
        let candidate = Candidate(kind: .peerReflexive, address: from)
        if !remoteCandidates.contains(where: { $0.address == from }) {
            addRemoteCandidate(candidate, now: now)
            emit(.peerReflexive(candidate))
        }
        guard let index = pairIndex(PairKey(base: to, remote: from)) else { return .handled }
        queueTriggeredCheck(index, now: now)
        return .handled
    }

    /// Selection or failure ends prediction: every prediction socket but the selected pair's base is closed.
    mutating func finishPrediction(keeping base: TransportAddress?) {
        if case .opening(let opener) = prediction.phase {
            let close = opener.bases.filter { $0 != base }
            if !close.isEmpty { prediction.requests.append(.closeSockets(close.sorted())) }
        }
        prediction.phase = .finished
    }
}
