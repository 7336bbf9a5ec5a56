import MeshCore

/// What the agent did with a datagram.
public enum ICEInputResult: Sendable, Equatable {
    /// A STUN message for this agent (answered, matched or rejected).
    case handled
    /// STUN, but not ours (an unknown transaction, say a gathering response): the driver may route it elsewhere.
    case notOurs
    /// Not STUN: application data for the owner.
    case notSTUN
}

extension ICEAgent {
    /// A datagram arrived at local socket `to` from `from`.
    public mutating func handleInput(
        _ bytes: [UInt8],
        from: TransportAddress,
        to: TransportAddress,
        now: Timestamp
    )
        -> ICEInputResult
    {
        guard STUNMessage.looksLikeSTUN(bytes) else { return .notSTUN }
        guard let decoded = try? STUNMessage.decode(bytes), decoded.message.method == STUNMessage.bindingMethod else {
            return .handled  // malformed STUN is dropped (RFC 8489 §6.3)
        }
        switch decoded.message.messageClass {
        case .request: handleRequest(decoded, from: from, to: to, now: now)
        case .successResponse, .errorResponse: return handleResponse(decoded, from: from, to: to, now: now)
        case .indication: break  // keepalive indications need no answer
        }
        return .handled
    }

    /// RFC 8445 §7.3: authenticate, resolve role conflicts, answer, learn peer-reflexive candidates, trigger a
    /// check, and (controlled side) honour USE-CANDIDATE. Unauthenticated requests never change state.
    mutating func handleRequest(_ decoded: DecodedSTUN, from: TransportAddress, to: TransportAddress, now: Timestamp) {
        let request = decoded.message
        guard responseLimiter.allow(from.ip, now: now) else {
            droppedRequests += 1
            return
        }
        if !decoded.unknownRequired.isEmpty {
            return reject(
                request,
                code: 420,
                reason: "Unknown Attribute",
                from: from,
                to: to,
                unknown: decoded.unknownRequired
            )
        }
        guard request.username != nil, decoded.integrityOffset != nil else {
            return reject(request, code: 400, reason: "Bad Request", from: from, to: to)
        }
        guard let username = request.username, username.hasPrefix(localCredentials.ufrag + ":"),
            decoded.verifyIntegrity(key: Array(localCredentials.pwd.utf8))
        else { return reject(request, code: 401, reason: "Unauthenticated", from: from, to: to) }
        if resolveRoleConflict(request, from: from, to: to, now: now) { return }

        let response = STUNMessage(
            .successResponse,
            transactionID: request.transactionID,
            attributes: [.xorMappedAddress(from)]
        )
        send(response.encoded(integrityKey: Array(localCredentials.pwd.utf8)), from: to, to: from)

        guard state == .checking || state == .connected || state == .new else { return }
        if !remoteCandidates.contains(where: { $0.address == from }), let priority = request.priority {
            let candidate = Candidate(kind: .peerReflexive, address: from, priority: priority)
            addRemoteCandidate(candidate, now: now)
            emit(.peerReflexive(candidate))
        }
        adoptPredictionSocket(to)
        guard let local = localCandidates.first(where: { $0.base == to && $0.kind == .host }) else { return }
        if pairIndex(PairKey(base: to, remote: from)) == nil,
            let remote = remoteCandidates.first(where: { $0.address == from })
        {
            addPair(local: local, remote: remote)
        }
        guard let index = pairIndex(PairKey(base: to, remote: from)) else { return }
        if request.useCandidate && role == .controlled {
            if pairs[index].state == .succeeded {
                select(index, now: now)
            } else {
                pairs[index].nominateOnSuccess = true
            }
        }
        queueTriggeredCheck(index, now: now)
    }

    /// Triggered check (§7.3.1.4), unless one is under way or the pair already succeeded.
    mutating func queueTriggeredCheck(_ index: Int, now: Timestamp) {
        switch pairs[index].state {
        case .frozen, .waiting, .failed:
            pairs[index].state = .waiting
            if !triggered.contains(pairs[index].key) { triggered.append(pairs[index].key) }
            scheduleWork(now: now)
        case .inProgress, .succeeded:
            break
        }
    }

    /// §7.3.1.1: the larger tie-breaker keeps (or takes) the controlling role; the other side gets 487.
    /// Returns true when the request was answered with 487.
    mutating func resolveRoleConflict(
        _ request: STUNMessage,
        from: TransportAddress,
        to: TransportAddress,
        now: Timestamp
    )
        -> Bool
    {
        if role == .controlling, let theirs = request.iceControlling {
            if tieBreaker >= theirs {
                reject(request, code: 487, reason: "Role Conflict", from: from, to: to, authenticated: true)
                return true
            }
            switchRole(to: .controlled)
        } else if role == .controlled, let theirs = request.iceControlled {
            if tieBreaker >= theirs {
                switchRole(to: .controlling)
            } else {
                reject(request, code: 487, reason: "Role Conflict", from: from, to: to, authenticated: true)
                return true
            }
        }
        return false
    }

    mutating func switchRole(to newRole: ICERole) {
        role = newRole
        nominating = nil
        sortPairs()
        emit(.roleChanged(newRole))
    }

    /// An error response (RFC 8489 §6.3.1.1). 400/401/420 carry no MESSAGE-INTEGRITY: the sender could not be
    /// authenticated, so signing would tell an attacker nothing and cost a MAC. Responses stay minimal.
    mutating func reject(
        _ request: STUNMessage,
        code: Int,
        reason: String,
        from: TransportAddress,
        to: TransportAddress,
        unknown: [UInt16] = [],
        authenticated: Bool = false
    ) {
        var attributes: [STUNAttribute] = [.errorCode(code: code, reason: reason)]
        if !unknown.isEmpty { attributes.append(.unknownAttributes(Array(unknown.prefix(8)))) }
        let message = STUNMessage(.errorResponse, transactionID: request.transactionID, attributes: attributes)
        send(message.encoded(integrityKey: authenticated ? Array(localCredentials.pwd.utf8) : nil), from: to, to: from)
    }
}
