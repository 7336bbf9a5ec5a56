import MeshCore

/// Why a signal changed nothing (for logs and tests; never sent back, so a prober learns nothing).
public enum PathSignalVerdict: Hashable, Sendable {
    case taken
    case ignored(String)
}

extension PathManager {
    /// A signal from `peer`, who the session authenticated (the caller only passes signals from contacts).
    @discardableResult
    public mutating func received(_ signal: PathSignal, from peer: PathPeer, now: Timestamp) -> PathSignalVerdict {
        let age = now - signal.sentAt
        guard age <= configuration.signalMaximumAge, age >= .zero - configuration.signalMaximumAge else {
            statistics.offersIgnored += signal.isOffer ? 1 : 0
            return .ignored("stale: sent \(age) ago")
        }
        switch signal {
        case .offer(let offer): return receivedOffer(offer, from: peer, now: now)
        case .answer(let answer): return receivedAnswer(answer, from: peer, now: now)
        case .candidates(let id, _, let candidates, let end, let nat):
            guard var attempt = attempts[peer.did], attempt.id == id else { return .ignored("no such attempt") }
            if attempt.remoteICE == nil || attempt.phase == .gathering && !attempt.isOfferer {
                // Before the answer (or before our own gathering ends) there is no session to give them to.
                let room = configuration.maximumEarlyCandidates - attempt.earlyCandidates.count
                attempt.earlyCandidates += candidates.prefix(max(room, 0))
                attempt.earlyEnd = attempt.earlyEnd || end
                if !nat.isUnknown { attempt.earlyNAT = nat }
                attempts[peer.did] = attempt
                return .taken
            }
            emit(.addRemoteCandidates(attempt: id, candidates: candidates, endOfCandidates: end, nat: nat))
            return .taken
        case .decline(let id, _, let reason):
            guard attempts[peer.did]?.id == id, attempts[peer.did]?.isOfferer == true else {
                return .ignored("no such attempt")
            }
            fail(id, reason: "declined: \(reason)", tellPeer: false, now: now)
            return .taken
        case .close(let id, _, let reason):
            guard let attempt = attempts[peer.did], attempt.id == id else { return .ignored("no such attempt") }
            if reason == "idle", attempt.phase == .direct {
                attempts[peer.did] = nil
                emit(.discard(attempt: id, reason: "peer closed: idle"))
                emit(.useRelay(peer: peer, reason: "peer closed: idle"))
            } else {
                fail(id, reason: "peer closed: \(reason)", tellPeer: false, now: now)
            }
            return .taken
        }
    }

    mutating func receivedOffer(_ offer: PathSignal.Offer, from peer: PathPeer, now: Timestamp) -> PathSignalVerdict {
        guard configuration.mode == .auto else {
            emit(
                .signal(to: peer, .decline(attempt: offer.attempt, sentAt: now.wholeMilliseconds, reason: "relay only"))
            )
            return .taken
        }
        if let current = attempts[peer.did] {
            if current.id == offer.attempt { return .ignored("an offer for the running attempt") }
            if current.isOfferer, current.phase == .gathering || current.phase == .awaitingAnswer {
                // Both offered at once: the higher tie-break wins (the attempt ID breaks a tie of tie-breaks). The
                // loser drops its own attempt and answers; the winner ignores the other offer, knowing its peer
                // will answer its own.
                let oursWins = (current.tieBreak, current.id) > (offer.tieBreak, offer.attempt)
                if oursWins {
                    statistics.offersIgnored += 1
                    return .ignored("simultaneous offer: ours wins the tie-break")
                }
            }
        }
        guard offerLimiter.allow(peer.did, now: now) else {
            statistics.offersIgnored += 1
            return .ignored("offer rate exceeded")
        }
        // A new offer means the peer gave up whatever ran before (it restarted, or its channel broke): drop ours.
        if let current = attempts.removeValue(forKey: peer.did) {
            emit(.discard(attempt: current.id, reason: "superseded by the peer's offer"))
            if current.phase == .direct {
                statistics.fallbacks += 1
                emit(.useRelay(peer: peer, reason: "the peer offered a new path"))
            }
        }
        guard let cipher = offer.ciphers.first(where: configuration.ciphers.contains) else {
            emit(
                .signal(
                    to: peer,
                    .decline(attempt: offer.attempt, sentAt: now.wholeMilliseconds, reason: "no common cipher")
                )
            )
            return .taken
        }
        guard hasRoom else {
            emit(.signal(to: peer, .decline(attempt: offer.attempt, sentAt: now.wholeMilliseconds, reason: "busy")))
            return .taken
        }
        var attempt = makeAttempt(peer: peer, isOfferer: false, id: offer.attempt, tieBreak: offer.tieBreak, now: now)
        attempt.remoteChannelID = offer.channelID
        attempt.remoteShare = offer.share
        attempt.remoteICE = offer.ice
        attempt.cipher = cipher
        attempt.offeredAt = min(offer.sentAt, now)
        attempts[peer.did] = attempt
        statistics.offersAnswered += 1
        emit(.gather(attempt: attempt.id, peer: peer, controlling: false))
        return .taken
    }

    mutating func receivedAnswer(_ answer: PathSignal.Answer, from peer: PathPeer, now: Timestamp) -> PathSignalVerdict
    {
        guard var attempt = attempts[peer.did], attempt.id == answer.attempt, attempt.isOfferer,
            attempt.phase == .awaitingAnswer
        else { return .ignored("no attempt awaits this answer") }
        guard configuration.ciphers.contains(answer.cipher) else {
            fail(attempt.id, reason: "the answer chose a cipher we did not offer", tellPeer: true, now: now)
            return .taken
        }
        attempt.remoteChannelID = answer.channelID
        attempt.remoteShare = answer.share
        attempt.remoteICE = answer.ice
        attempt.cipher = answer.cipher
        attempt.phase = .checking
        attempts[peer.did] = attempt
        emit(.setRemote(attempt: attempt.id, answer.ice))
        emitEarlyCandidates(peer.did)
        return .taken
    }

    /// Hands the attempt's session what trickled before it had one: candidates, the end mark, the NAT hint.
    mutating func emitEarlyCandidates(_ did: String) {
        guard var attempt = attempts[did] else { return }
        let (early, end, nat) = (attempt.earlyCandidates, attempt.earlyEnd, attempt.earlyNAT)
        guard !early.isEmpty || end || !nat.isUnknown else { return }
        attempt.earlyCandidates = []
        attempt.earlyEnd = false
        attempt.earlyNAT = .unknown
        attempts[did] = attempt
        emit(.addRemoteCandidates(attempt: attempt.id, candidates: early, endOfCandidates: end, nat: nat))
    }
}

extension PathSignal {
    var isOffer: Bool {
        if case .offer = self { return true }
        return false
    }
}
