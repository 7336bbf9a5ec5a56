import Foundation
import GRDB
import MeshCore
import MeshPeer
import Ratchet
import RelayFallback

extension AgentNode {
    /// One relay event. Deliveries are acknowledged only after what they carry has committed (or when they can
    /// never be processed: undecodable, forged, not from a contact), so a crash at any point leaves them at the relay.
    func handle(_ event: RelayClientEvent, from relay: RelayAddress) async {
        switch event {
        case .delivered(let envelope):
            await receive(envelope, from: relay)
        case .accepted(let id, let disposition):
            await relayAccepted(id, disposition)
        case .refused(let refusal):
            if let id = refusal.envelopeID { await recordRefusal(id, "\(relay): \(refusal)") }
        case .ready:
            wakeOutbox()
            await tellRelaysContacts()
        case .connectFailed(let failure):
            // Relay down, TLS refused (a stripped or impersonated `wss://` relay) or login rejected: each counted
            // and said, so an owner can tell them apart (the pool retries with backoff; never in clear).
            figures.relayConnectFailures[failure.code]?.increment()
            logger.notice(
                "relay connection failed",
                metadata: ["relay": "\(relay)", "code": "\(failure.code.rawValue)", "reason": "\(failure.reason)"]
            )
        default:
            break
        }
    }

    func receive(_ delivered: DeliveredEnvelope, from relay: RelayAddress) async {
        let id = MessageID(envelopeID: delivered.id)
        switch MeshEnvelope.kind(of: delivered.payload) {
        case .knock:
            await receiveKnock(delivered.payload, id: id, relay: relay)
        case .session:
            if case .session(let frame)? = try? MeshEnvelope.decode(delivered.payload) {
                // The end-to-end ID is the frame's (a resend travels under a new envelope ID).
                return await receiveSession(frame, id: frame.messageID, envelopeID: delivered.id, relay: relay)
            }
            fallthrough
        case nil:
            figures.undecryptable.increment()
            logger.notice("dropped an undecodable envelope", metadata: ["relay": "\(relay)"])
            await relays.acknowledge([delivered.id], relay: relay)
        }
    }

    func receiveKnock(_ bytes: [UInt8], id: MessageID, relay: RelayAddress) async {
        let envelopeID = id.envelopeID
        // A tripped breaker refuses new knocks before any work (the sender's knock expires unanswered).
        guard sendGate.isOpen else {
            figures.knocksRefused.increment()
            logger.info("knock refused", metadata: ["code": "breaker_tripped"])
            return await relays.acknowledge([envelopeID], relay: relay)
        }
        // Cost order: everything the gate checks (size, token, window, replay, work, signature, rates) runs before
        // any Diffie-Hellman, prekey use or database write; the frame is decoded only after the size check.
        let frame: KnockFrame
        switch gate.admit(
            bytes,
            ours: identity.publicKey,
            tokens: acceptedTokens,
            difficulty: policy.difficulty,
            now: now
        ) {
        case .failure(let refusal):
            figures.knocksRefused.increment()
            logger.info("knock refused", metadata: ["code": "\(refusal.code)", "reason": "\(refusal.reason)"])
            return await relays.acknowledge([envelopeID], relay: relay)
        case .success(let admitted):
            frame = admitted
        }
        let ledger = self.ledger
        let policy = self.policy
        // Revocations are published in the knocker's record (decision 0093): look it up when a rule names an owner.
        // The gate's rate limits bound how often this runs; a record that cannot be found counts as none.
        let record = policy.namesOwners ? await lookUpRecord(did: frame.sender.did) : nil
        let published = record.flatMap { try? AgentProfile.read(from: $0) }?.ownerCredentials
        // Owners publish their own revocations too (decision 0100), so a revoked agent cannot hide them.
        let ownerRevocations = policy.namesOwners ? await ownerRevocations(of: policy.trustedOwnerKeys) : []
        let ownRelays = await relays.homes()
        let now = self.now
        do {
            let outcome = try await database.pool.write { db in
                try ledger.receiveKnock(
                    frame,
                    policy: policy,
                    published: published,
                    ownerRevocations: ownerRevocations,
                    pendingConfiguration: AgentNode.pendingKnocks,
                    ownRelays: ownRelays,
                    now: now,
                    db
                )
            }
            await relays.acknowledge([envelopeID], relay: relay)
            guard case .stored(let knock, let evicted) = outcome else { return }
            figures.knocksReceived.increment()
            switch knock.state {
            case .accepted: figures.knocksAccepted.increment()
            case .rejected: figures.knocksRejected.increment()
            default: figures.knocksHeld.increment()
            }
            logger.info(
                "knock \(knock.state.rawValue)",
                metadata: [
                    "from": "\(knock.peer)", "intent": "\(knock.intent)", "rule": "\(knock.rule ?? "")",
                    "evicted": "\(evicted.count)",
                ]
            )
            await events.publish(NodeEvent(type: .knock, knock: knock.summary))
            if knock.state == .accepted {
                await tellRelaysContacts()
                await observe(sendGate.newContact(now: now))
            }
            wakeOutbox()
        } catch let error as DatabaseError {
            // Not acknowledged: the relay delivers it again after a reconnect.
            logger.error("could not store a knock", metadata: ["error": "\(error)"])
        } catch {
            figures.undecryptable.increment()
            await observe(sendGate.decryptFailed(now: now))
            logger.notice("dropped a knock that does not open", metadata: ["error": "\(error)"])
            await relays.acknowledge([envelopeID], relay: relay)
        }
    }

    func receiveSession(_ frame: SessionFrame, id: MessageID, envelopeID: EnvelopeID, relay: RelayAddress) async {
        let ledger = self.ledger
        let now = self.now
        let servedCard = self.servedCard
        do {
            let outcome = try await database.pool.write { db in
                try ledger.receiveSession(frame, id: id, servedCard: servedCard, now: now, db)
            }
            await relays.acknowledge([envelopeID], relay: relay)
            await report(outcome)
        } catch let error as DatabaseError {
            logger.error("could not store an envelope", metadata: ["error": "\(error)"])
        } catch {
            figures.undecryptable.increment()
            await observe(sendGate.decryptFailed(now: now))
            logger.notice("dropped an envelope that does not open", metadata: ["error": "\(error)"])
            await relays.acknowledge([envelopeID], relay: relay)
        }
    }

    func report(_ outcome: SessionOutcome) async {
        switch outcome {
        case .duplicate:
            figures.duplicatesDropped.increment()
            wakeOutbox()
        case .notAccepted(let reason), .ignored(let reason), .invalidMessage(let reason):
            logger.info("dropped an envelope", metadata: ["reason": "\(reason)"])
            wakeOutbox()
        case .messages(let shown):
            figures.messagesReceived.increment()
            for message in shown {
                await events.publish(NodeEvent(type: .message, cursor: message.cursor, message: message))
            }
            wakeOutbox()
        case .answeredQuery(let shown, let reply):
            logger.info("answered a capability query", metadata: ["peer": "\(reply.peer)"])
            for message in shown {
                await events.publish(NodeEvent(type: .message, cursor: message.cursor, message: message))
            }
            wakeOutbox()
        case .receipts(let settled):
            for entry in settled where entry.kind == .message {
                figures.receiptsReceived.increment()
                await events.publish(NodeEvent(type: .receipt, sent: entry.sent))
            }
            // A receipt may have made an older message due at once (fast retransmit).
            wakeOutbox()
        case .pathSignal(let peer, let signal):
            await receivedPathSignal(signal, from: peer)
        case .decision(let knock):
            logger.info("knock answered", metadata: ["peer": "\(knock.peer)", "state": "\(knock.state.rawValue)"])
            await events.publish(NodeEvent(type: .knock, knock: knock.summary))
            if knock.state == .accepted {
                await tellRelaysContacts()
                await observe(sendGate.newContact(now: now))
            }
            wakeOutbox()
        }
    }

    /// Tells the relays who our contacts are; when the list cannot be read, the relays keep the last one (an empty
    /// list would put every contact under the first-contact quota).
    func tellRelaysContacts() async {
        if let contacts = await contactNodeIDs() { await relays.setContacts(contacts) }
    }

    func contactNodeIDs() async -> Set<NodeID>? {
        let contacts = await lookUp("the contact list", or: nil) { db in try ContactStore.all(db) }
        figures.contacts.record(contacts?.count ?? 0)
        return contacts.map { Set($0.map { NodeID(publicKey: $0.publicKey) }) }
    }
}
