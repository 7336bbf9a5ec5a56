import Foundation
import GRDB
import MeshCore
import MeshPeer
import RelayClient
import RelayFallback

/// One session envelope waiting in an inbound batch.
struct InboundSession: Sendable {
    var frame: SessionFrame
    var id: MessageID
    var envelopeID: EnvelopeID
    /// The relay to acknowledge it to; nil when it came over a direct channel (reliable, nothing to acknowledge).
    var relay: RelayAddress?
    /// "relay" or "direct": what carried it, for the audit log.
    var path = "relay"
}

extension AgentNode {
    /// Relay events taken per pass; session envelopes among them share one transaction.
    static let inboundBatch = 256
    /// Relay events read ahead of the processor at most; beyond this the reader waits, the relay pool's own bounded
    /// buffer fills, and the relays stop sending (their per-connection output bound).
    static let inboundBacklog = 4_096

    /// Reads relay events into `pendingInbound` as fast as they come and wakes the processor; the processor takes
    /// what has gathered while it was busy as one batch. Under load, many deliveries then cost one commit.
    func runRelayEvents() async {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in self.relays.events { await self.collect(event, wake) }
                wake.finish()
            }
            group.addTask {
                for await _ in wakes { await self.processInbound() }
            }
            await group.waitForAll()
        }
    }

    func collect(_ event: RelayPoolEvent, _ wake: AsyncStream<Void>.Continuation) async {
        if pendingInbound.count >= AgentNode.inboundBacklog, !Task.isCancelled {
            // Shutdown cancels the reader; the wait must end then too.
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if Task.isCancelled { continuation.resume() } else { inboundRoom = continuation }
                }
            } onCancel: {
                Task { await self.releaseInboundRoom() }
            }
        }
        pendingInbound.append(event)
        wake.yield()
    }

    func releaseInboundRoom() {
        inboundRoom?.resume()
        inboundRoom = nil
    }

    /// Handles everything gathered so far, in arrival order: runs of session envelopes in one transaction each,
    /// runs of relay acceptances in one transaction each, every other event on its own.
    func processInbound() async {
        while !pendingInbound.isEmpty {
            let batch = Array(pendingInbound.prefix(AgentNode.inboundBatch))
            pendingInbound.removeFirst(batch.count)
            releaseInboundRoom()
            var sessions: [InboundSession] = []
            var accepted: [(EnvelopeID, Disposition)] = []
            for item in batch {
                if case .accepted(let id, let disposition) = item.event {
                    await receiveSessions(sessions)
                    sessions = []
                    accepted.append((id, disposition))
                    continue
                }
                await relayAccepted(accepted)
                accepted = []
                if case .delivered(let delivered) = item.event,
                    MeshEnvelope.kind(of: delivered.payload) == .session,
                    case .session(let frame)? = try? MeshEnvelope.decode(delivered.payload)
                {
                    // The frame names its sender in clear; the relay saw who logged in and sent it. A frame that
                    // names someone else (one contact posing as another) is dropped before any session is tried,
                    // and does not count toward the breaker's decrypt failures (decision 0094).
                    guard NodeID(publicKey: frame.sender) == delivered.sender else {
                        figures.undecryptable.increment()
                        logger.notice("dropped an envelope whose frame names another sender than the relay's")
                        await relays.acknowledge([delivered.id], relay: item.relay)
                        continue
                    }
                    sessions.append(
                        InboundSession(
                            frame: frame,
                            // End to end, the frame's ID (a resend travels under a new envelope ID).
                            id: frame.messageID,
                            envelopeID: delivered.id,
                            relay: item.relay
                        )
                    )
                    continue
                }
                await receiveSessions(sessions)
                sessions = []
                await handle(item.event, from: item.relay)
            }
            await relayAccepted(accepted)
            await receiveSessions(sessions)
        }
    }

    /// Decrypts and stores a run of session envelopes in one transaction, each inside its own savepoint: one that
    /// does not open is rolled back alone and acknowledged (it never will open); a database failure rolls back the
    /// whole run, which is then not acknowledged, so the relays deliver it again (on the same connection once their
    /// ack wait runs out, `ackWaitSeconds`, 30 s by default; at once after a reconnect).
    func receiveSessions(_ batch: [InboundSession]) async {
        guard !batch.isEmpty else { return }
        let ledger = self.ledger
        let now = self.now
        let servedCard = self.servedCard
        let outcomes: [Result<SessionOutcome, NodeLedgerError>]
        do {
            outcomes = try await database.pool.write { db in
                var results: [Result<SessionOutcome, NodeLedgerError>] = []
                var receipts = OwedReceipts()
                for item in batch {
                    var outcome: SessionOutcome?
                    do {
                        // The receipts an envelope earns count only if its savepoint commits.
                        var owed = OwedReceipts()
                        try db.inSavepoint {
                            outcome = try ledger.receiveSession(
                                item.frame,
                                id: item.id,
                                servedCard: servedCard,
                                now: now,
                                receipts: &owed,
                                path: item.path,
                                db
                            )
                            return .commit
                        }
                        receipts.merge(owed)
                        results.append(.success(outcome ?? .ignored("no outcome")))
                    } catch let error as DatabaseError {
                        throw error
                    } catch {
                        results.append(.failure(NodeLedgerError("\(error)")))
                    }
                }
                try receipts.enqueue(with: ledger, now: now, db)
                return results
            }
        } catch {
            logger.error("could not store \(batch.count) envelopes", metadata: ["error": "\(error)"])
            return
        }
        var byRelay: [RelayAddress: [EnvelopeID]] = [:]
        for item in batch {
            if let relay = item.relay { byRelay[relay, default: []].append(item.envelopeID) }
        }
        for (relay, ids) in byRelay { await relays.acknowledge(ids, relay: relay) }
        for outcome in outcomes {
            switch outcome {
            case .success(let outcome): await report(outcome)
            case .failure(let error):
                figures.undecryptable.increment()
                await observe(sendGate.decryptFailed(now: now))
                logger.notice("dropped an envelope that does not open", metadata: ["error": "\(error)"])
            }
        }
    }
}
