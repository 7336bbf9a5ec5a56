import Foundation
import GRDB
import Kademlia
import MeshCore
import MeshPeer
import Ratchet

extension AgentNode {
    /// Signs and publishes the node's record (card, home relays, prekey bundle, knock token and difficulty) as the
    /// exposure level says (docs/exposure.md): `listed` under the DID key with a provider record per capability
    /// the card names; `unlisted` under the DID key only, saying so; `private` sealed under each active invite's
    /// slot (`publishSealed`) and nothing under the DID key. Called at start, on schedule, and whenever something
    /// in the record changed: the card file, the homes, the token, a prekey rotation, an invite made or revoked.
    func publishRecord(reason: String) async {
        let now = self.now
        let homes = await relays.homes()
        let hints = await addressHints()
        let ledger = self.ledger
        let identity = self.identity
        do {
            let (prekeys, sequence) = try await database.pool.write { db in
                var random = SystemRandom()
                let prekeys = try ledger.ratchet.prekeys(identity: identity, now: now, random: &random, in: db)
                // Milliseconds of the signing time, bumped past the last one: a restart never goes backwards.
                let sequence = max(UInt64(now.millisecondsSinceEpoch), try NodeMetaStore.integer("record-seq", db) + 1)
                try NodeMetaStore.setInteger("record-seq", sequence, db)
                return (prekeys, sequence)
            }
            var (record, profile) = try card.record(
                identity: identity,
                prekeys: prekeys,
                token: tokens[0],
                difficulty: policy.difficulty,
                homes: homes,
                hints: hints,
                sequence: sequence,
                issuedAt: now,
                ttl: .seconds(configuration.recordTTLSeconds)
            )
            // The full card a capability.query gets, signed like the record's card (decision 0080).
            servedCard = try profile.signedServedCard(identity: identity)
            let exposure = configuration.exposure
            // The owner's certificate and revocations, re-read at every publish (decision 0093).
            let credentials = try OwnerCredentialsFile.credentials(home: home)
            if exposure != .listed || credentials != nil {
                profile.exposure = exposure
                profile.ownerCredentials = credentials
                record = try profile.record(
                    signedBy: identity,
                    sequence: sequence,
                    issuedAt: now,
                    ttl: .seconds(configuration.recordTTLSeconds)
                )
            }
            let accepted: Int
            // A private agent without invites has nothing to publish, and is not waiting to.
            var nothingToPublish = false
            if exposure == .private {
                let sealed = await publishSealed(profile, sequence: sequence, now: now)
                accepted = sealed.accepted
                nothingToPublish = sealed.slots == 0
            } else {
                let (envelope, key) = (record.envelope, record.key)
                let result = try await dht.publish { core, now in try core.publish(envelope, key: key, now: now) }
                accepted = result?.accepted ?? 0
                if let refusal = result?.ownCopyRefused {
                    logger.warning(
                        "the DHT node did not keep its own copy of the record",
                        metadata: ["reason": "\(refusal)"]
                    )
                }
            }
            published = accepted > 0 || nothingToPublish
            lastPublish = now
            lastPublishedHomes = homes
            lastPublishedHints = hints
            logger.info(
                "record published",
                metadata: [
                    "reason": "\(reason)", "stored_by": "\(accepted)", "homes": "\(homes)",
                    "hints": "\(hints.map(\.description))",
                ]
            )
            // Only a listed agent announces its capabilities; the others are not to be found by them.
            let capabilities = exposure == .listed ? Set(card.capabilities) : []
            for capability in capabilities.subtracting(publishedCapabilities) {
                if let result = await dht.provide(capability: capability), result.accepted > 0 {
                    publishedCapabilities.insert(capability)
                }
            }
        } catch {
            // A record that does not validate is never sent: say why, loudly, and keep the last good one out there.
            logger.error("cannot publish the record", metadata: ["reason": "\(error)"])
        }
    }

    /// Once a second: republish when due or when something in the record changed, reload an edited card or
    /// policy, show messages whose gap timed out, sample the process figures.
    func maintain() async {
        let now = self.now
        var why: String?
        // An edit that does not parse keeps the card or policy in force and is reported once, until edited again.
        let cardStamp = FileStamp.of(card.path)
        if cardStamp != rejectedCardStamp {
            do {
                if let reloaded = try NodeCard.reloadIfChanged(card) {
                    card = reloaded
                    publishedCapabilities = []
                    why = "card file changed"
                }
            } catch {
                rejectedCardStamp = cardStamp
                logger.error("the edited card is refused; the previous one stays", metadata: ["error": "\(error)"])
            }
        }
        if let policyPath {
            do {
                if let reloaded = try KnockPolicyFile.reloadIfChanged(path: policyPath, policyStamp) {
                    policy = reloaded.policy
                    policyStamp = reloaded.stamp
                    logger.info("knock policy reloaded")
                    await auditPolicyChange(path: policyPath)
                }
            } catch {
                policyStamp = FileStamp.of(policyPath)
                logger.error("the edited policy is refused; the previous one stays", metadata: ["error": "\(error)"])
            }
        }
        let homes = await relays.homes()
        // A set, not a list: two homes with equal round trips swap ranks often, and the record need not change.
        if Set(homes) != Set(lastPublishedHomes), !homes.isEmpty { why = why ?? "home relays changed" }
        // The node's mapping granted, moved to another external port on renewal, or lapsed.
        if await addressHints() != lastPublishedHints { why = why ?? "address hints changed" }
        if let last = lastPublish, now - last >= .seconds(configuration.republishSeconds) { why = why ?? "republish" }
        if lastPublish == nil { why = why ?? "start" }
        if !published, let last = lastPublish, now - last >= .seconds(5), await dht.contactCount() > 0 {
            why = why ?? "joined a network"
        }
        if let why { await publishRecord(reason: why) }
        // A write only when something waits behind a gap: an idle node does no database writes. The wait counts
        // from this start too: while the node was down the missing message could not arrive, so a restart must not
        // give up on a gap the moment it comes back.
        var shown: [InboxMessage] = []
        if now - startedAt >= InboxStore.gapTimeout,
            await lookUp("held messages", or: false, { db in try InboxStore.hasHeld(db) })
        {
            do {
                shown = try await database.pool.write { db in try InboxStore.releaseStale(now: now, db) }
            } catch {
                figures.storageErrors.increment()
                logger.error("storage: releasing held messages failed", metadata: ["error": "\(error)"])
            }
        }
        for message in shown {
            await events.publish(NodeEvent(type: .message, cursor: message.cursor, message: message))
        }
        if now - lastHousekeeping >= .seconds(3_600) {
            lastHousekeeping = now
            await housekeeping(now: now)
        }
        figures.peersKnown.record(await dht.contactCount())
        figures.relaysInUse.record(homes.count)
        figures.sampleProcess()
    }

    /// Hourly: forget settled outbox entries after a week (their state stays readable that long) and processed
    /// envelope IDs once no sender can still be resending them (`InboxStore.receivedMemory`).
    func housekeeping(now: Timestamp) async {
        do {
            try await database.pool.write { db in
                try OutboxStore.forgetSettled(before: now - OutboxStore.settledMemory, db)
                try InboxStore.forgetReceived(before: now - InboxStore.receivedMemory, db)
            }
        } catch {
            logger.error("housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}
