import MeshCore

extension ICEAgent {
    /// Advances timers: paced checks, retransmissions, nomination, consent and the overall deadline.
    public mutating func handleTimeout(now: Timestamp) {
        retransmit(now: now)
        if let pacing = nextPacing, pacing <= now { pace(now: now) }
        nominateIfReady(now: now)
        refreshConsent(now: now)
        advancePrediction(now: now)
        checkForFailure(now: now)
    }

    /// Schedules pacing when there is work and none is scheduled (new pairs, triggered checks).
    mutating func scheduleWork(now: Timestamp) {
        guard startedAt != nil, nextPacing == nil, state == .checking || !triggered.isEmpty else { return }
        nextPacing = now
    }

    /// One new check per Ta (RFC 8445 §6.1.4.2): a triggered check first, then the best waiting pair, then the
    /// best frozen one. Once a pair is selected only triggered checks run.
    mutating func pace(now: Timestamp) {
        nextPacing = nil
        guard remoteCredentials != nil else { return }
        var chosen: Int?
        while chosen == nil, !triggered.isEmpty {
            chosen = pairIndex(triggered.removeFirst())
        }
        if chosen == nil, selected == nil, state == .checking {
            chosen = pairs.firstIndex { $0.state == .waiting } ?? pairs.firstIndex { $0.state == .frozen }
        }
        guard let index = chosen else { return }
        let nominate = role == .controlling && nominating == pairs[index].key
        startCheck(index, useCandidate: nominate, consent: false, now: now)
        let more =
            !triggered.isEmpty || (selected == nil && pairs.contains { $0.state == .waiting || $0.state == .frozen })
        if more { nextPacing = now + config.pacing }
    }

    /// Sends a Binding request on a pair (RFC 8445 §7.2.2) and records its transaction.
    mutating func startCheck(_ index: Int, useCandidate: Bool, consent: Bool, now: Timestamp) {
        let pair = pairs[index]
        let id = random.bytes(count: 12)
        guard let bytes = bindingRequest(id: id, localPriority: pair.local.priority, useCandidate: useCandidate)
        else { return }
        transactions.removeAll { $0.pair == pair.key && $0.consent == consent }
        if !consent { pairs[index].state = .inProgress }
        pairs[index].requestsSent += 1
        transactions.append(
            Transaction(
                id: id,
                pair: pair.key,
                bytes: bytes,
                firstSent: now,
                nextRetransmit: now + config.initialRTO,
                interval: config.initialRTO,
                transmissions: 1,
                useCandidate: useCandidate,
                consent: consent,
                role: role
            )
        )
        send(bytes, from: pair.key.base, to: pair.key.remote)
    }

    /// An authenticated Binding request as a check sends it (§7.2.2), or nil before the peer's credentials.
    func bindingRequest(id: [UInt8], localPriority: UInt32, useCandidate: Bool) -> [UInt8]? {
        guard let remote = remoteCredentials else { return nil }
        var attributes: [STUNAttribute] = [
            .username("\(remote.ufrag):\(localCredentials.ufrag)"),
            .priority(Candidate.Kind.peerReflexive.typePreference << 24 | (localPriority & 0x00FF_FFFF)),
            role == .controlling ? .iceControlling(tieBreaker: tieBreaker) : .iceControlled(tieBreaker: tieBreaker),
        ]
        if useCandidate { attributes.append(.useCandidate) }
        if let software = config.software { attributes.insert(.software(software), at: 0) }
        return STUNMessage(.request, transactionID: id, attributes: attributes)
            .encoded(integrityKey: Array(remote.pwd.utf8), fingerprint: true)
    }

    /// Retransmits due requests with exponential backoff; after the last one the pair fails (RFC 8489 §6.2.1).
    mutating func retransmit(now: Timestamp) {
        var expired: [Transaction] = []
        for index in transactions.indices where transactions[index].nextRetransmit <= now {
            if transactions[index].transmissions >= config.maximumTransmissions {
                expired.append(transactions[index])
                continue
            }
            transactions[index].transmissions += 1
            transactions[index].interval = min(transactions[index].interval * 2, config.maximumRTO)
            transactions[index].nextRetransmit = now + transactions[index].interval
            let t = transactions[index]
            send(t.bytes, from: t.pair.base, to: t.pair.remote)
            if let p = pairIndex(t.pair) { pairs[p].requestsSent += 1 }
        }
        for t in expired {
            transactions.removeAll { $0.id == t.id }
            guard !t.consent, let p = pairIndex(t.pair), pairs[p].state == .inProgress else { continue }
            pairs[p].state = .failed
            pairs[p].lastError = "no response to \(t.transmissions) requests"
            if nominating == t.pair { nominating = nil }
        }
    }

    /// Regular nomination (RFC 8445 §8.1.1): the controlling agent picks the best valid pair once no better
    /// pair is pending, or after `nominationDelay`, and repeats its check with USE-CANDIDATE.
    mutating func nominateIfReady(now: Timestamp) {
        guard role == .controlling, selected == nil, nominating == nil, state == .checking,
            let best = pairs.firstIndex(where: { $0.state == .succeeded }), let first = firstValidAt
        else { return }
        let betterPending = pairs[..<best].contains { $0.state != .failed && $0.state != .succeeded }
        guard !betterPending || now >= first + config.nominationDelay else { return }
        nominating = pairs[best].key
        startCheck(best, useCandidate: true, consent: false, now: now)
    }

    /// The checklist failed: every pair failed once the peer has no more candidates, or time ran out.
    mutating func checkForFailure(now: Timestamp) {
        guard state == .checking, selected == nil else { return }
        if let start = startedAt, now >= start + config.checkingTimeout {
            fail(.timeout, "no pair was nominated within \(config.checkingTimeout)", now: now)
        } else if remoteEndOfCandidates, !pairs.isEmpty, pairs.allSatisfy({ $0.state == .failed }), triggered.isEmpty,
            !predictionPending
        {
            fail(.allPairsFailed, "every candidate pair failed its connectivity checks", now: now)
        }
    }

    mutating func fail(_ code: ICEFailure.Code, _ reason: String, now: Timestamp) {
        state = .failed
        transactions.removeAll()
        triggered.removeAll()
        nextPacing = nil
        finishPrediction(keeping: nil)
        emit(.failed(report(code: code, reason: reason)))
    }

    /// A pair was nominated: it carries application data from now on; consent checks start.
    mutating func select(_ index: Int, now: Timestamp) {
        guard selected == nil else { return }
        pairs[index].nominated = true
        selected = pairs[index].key
        nominating = nil
        state = .connected
        transactions.removeAll { !$0.consent && $0.pair != pairs[index].key }
        lastConsent = now
        nextConsent = now + jitteredConsentInterval()
        finishPrediction(keeping: pairs[index].key.base)
        emit(
            .selected(local: pairs[index].key.base, remote: pairs[index].key.remote, elapsed: now - (startedAt ?? now))
        )
    }
}
