import MeshCore

extension RelayClientMachine {
    /// One binary WebSocket message from the relay. A message the relay should never send ends the connection.
    public mutating func received(_ bytes: [UInt8]) {
        guard let message = try? RelayMessage.decode(bytes) else {
            return abandon(RelayRefusal(.malformedFrame, "the relay sent an undecodable frame"))
        }
        switch (state, message) {
        case (.awaitingChallenge, .challenge(let challenge)):
            do {
                let login = try RelayAuth.answer(challenge, identity: identity, expectedRelay: expectedRelay)
                state = .awaitingWelcome
                actions.append(.transmit(RelayMessage.authenticate(login).encoded()))
            } catch let refusal as RelayRefusal {
                abandon(refusal)
            } catch {
                abandon(RelayRefusal(.badSignature, "could not answer the challenge"))
            }
        case (.awaitingWelcome, .welcome(let welcome)):
            guard welcome.clientID == identity.nodeID else {
                return abandon(RelayRefusal(.unexpectedMessage, "the relay welcomed another node ID"))
            }
            state = .ready
            attempts = 0
            events.append(.ready(welcome))
            if let contacts { actions.append(.transmit(RelayMessage.contacts(contacts).encoded())) }
            for id in outboxOrder {
                if let envelope = outbox[id] { actions.append(.transmit(RelayMessage.send(envelope).encoded())) }
            }
        case (.ready, .deliver(let envelope)):
            // The owner acknowledged this one already and the ack was lost: ack again, report nothing.
            // Anything else is reported, even a repeat, until the owner acknowledges it.
            if acknowledged.contains(envelope.id) {
                transmitAcks([envelope.id])
            } else {
                events.append(.delivered(envelope))
            }
        case (.ready, .accepted(let id, let disposition)):
            settle(id)
            events.append(.accepted(id, disposition))
        case (.ready, .acceptedBatch(let entries)):
            for entry in entries {
                settle(entry.id)
                events.append(.accepted(entry.id, entry.disposition))
            }
        case (.ready, .pong(let token)):
            // A pong for an older (timed out or pre-reconnect) ping is ignored.
            guard let ping = outstandingPing, ping.token == token else { return }
            outstandingPing = nil
            events.append(.pong(sentAt: ping.sentAt))
        case (_, .refused(let refusal)):
            if let id = refusal.envelopeID { settle(id) }
            events.append(.refused(refusal))
            if state == .awaitingChallenge || state == .awaitingWelcome {
                report(RelayConnectFailure(.loginRejected, "\(refusal)"))
            }
        default:
            abandon(RelayRefusal(.unexpectedMessage, "the relay sent \(message.frameType) out of turn"))
        }
    }

    /// Forgets a send the relay has answered.
    mutating func settle(_ id: EnvelopeID) {
        guard outbox.removeValue(forKey: id) != nil else { return }
        if let index = outboxOrder.firstIndex(of: id) { outboxOrder.remove(at: index) }
    }

    mutating func abandon(_ refusal: RelayRefusal) {
        events.append(.refused(refusal))
        if state == .awaitingChallenge || state == .awaitingWelcome {
            report(RelayConnectFailure(.loginRejected, "\(refusal)"))
        }
        actions.append(.disconnect)
    }
}
