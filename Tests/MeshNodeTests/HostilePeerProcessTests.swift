import Foundation
import GRDB
import MeshCore
import MeshNodeAPI
import MeshPeer
import NIOPosix
import Ratchet
import RatchetStore
import RelayClient
import RelayFallback
import Testing

@testable import MeshNode

/// Issue 19: a contact that turns hostile after its knock was accepted. Real `meshpeer run` nodes a, b and c share
/// one relay; a has b and c as contacts. Then b's node stops and the test becomes b: b's own identity (from its
/// data directory), b's own `node.sqlite` (its ratchet sessions and send sequence) and b's own relay login. From
/// there it sends garbage, ratchet messages far past MAX_SKIP, frames whose ratchet envelope belongs to another
/// sender or another session, a flood of valid messages while c talks to a, and receipts and replies citing
/// messages a never sent to b. The promise, read from a's API and metrics: a stays up with bounded memory, shows
/// only what b really sent (once each), marks nothing delivered that was not, its session with b survives the
/// refused envelopes, and its conversation with c is not slowed. Each scenario prints one JSON line.
@Suite(.serialized)
struct HostilePeerProcessTests {
    @Test func aContactThatTurnsHostileCannotHurtTheNodeOrItsOtherConversations() async throws {
        let environment = ProcessInfo.processInfo.environment
        // 500 in the short run: c's first message waits behind the whole flood (see below), and CI runs the
        // process suites side by side on two cores; `scripts/adversarial --long` floods with 2,000 and more.
        let floodSize = environment["MESHPEER_ADVERSARY_FLOOD"].flatMap(Int.init) ?? 500
        let mesh = try TestMesh.make("hostile-peer")
        var hostile: HostileContact?
        do {
            let (didA, _) = try await TestMesh.pair(mesh)
            let relay = try #require(mesh.relayAddress("relay"))
            try await mesh.prepareAgent(
                "c",
                card: TestMesh.card("C", skills: ["gamma"]),
                policy: ["default": "accept"],
                relays: [relay]
            )
            try await mesh.startAgent("c")
            let (_, didC) = try await TestMesh.contacts(mesh, "a", "c")
            // b and c are contacts too (c knocked, b accepted): b holds a real b → c session to confuse a with.
            _ = try await TestMesh.contacts(mesh, "c", "b")
            let a = try mesh.client("a")
            var c = try mesh.client("c")
            // c → a works before anything happens (and gives a a session with c to be confused with).
            let hello = try await c.send(
                SendRequest(to: didA, intent: "chat.message", body: .object(["text": .string("hi")]))
            )
            _ = try await Self.shown(a, id: hello.id, after: 0)

            // b turns hostile: its node stops, and the test speaks for it with its own keys and state.
            try await mesh.stop("b")
            let contact = try await HostileContact.open(home: mesh.home("b"), victim: didA, relay: relay)
            hostile = contact
            let keyC = try Self.key(of: didC)
            let uptimeBefore = try await a.status().uptimeSeconds
            var scenarios: [[String: Any]] = []

            // 1. Garbage: random bytes, truncated frames, random ratchet bytes in a session frame, oversize.
            do {
                let before = try await Self.figures(a)
                let valid = try contact.message("before the garbage")
                var garbage: [[UInt8]] = [
                    Self.random(1), Self.random(64), [1], [1, 2], [1, 2] + Self.random(20),
                    Array(valid.payload.prefix(valid.payload.count / 2)),
                    Array(valid.payload.prefix(MeshEnvelope.headerByteCount + SessionFrame.overheadByteCount + 3)),
                    [1, 2] + contact.identity.publicKey.rawRepresentation + Self.random(16) + Self.random(300),
                    [1, 9] + Self.random(100), [7, 2] + Self.random(100),
                ]
                // The largest the relay takes: a session frame whose ratchet envelope is all noise.
                garbage.append(
                    [1, 2] + contact.identity.publicKey.rawRepresentation
                        + Self.random(RelayFallbackModule.maximumEnvelopeByteCount - 34 - 4_096)
                )
                for bytes in garbage { try await contact.deliver(bytes) }
                let refusals = garbage.count
                // A valid message after the garbage: the session with b is intact.
                try await contact.deliver(valid.payload)
                let shown = try await Self.shown(a, id: valid.id.hex, after: before.cursor)
                let after = try await TestMesh.eventually("a to refuse every garbage envelope") {
                    let now = try await Self.figures(a)
                    return now.undecryptable - before.undecryptable >= refusals ? now : nil
                }
                let fromB = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                #expect(fromB.map(\.id) == [valid.id.hex], "only b's valid message is shown")
                #expect(shown.bodyText == "before the garbage")
                try Self.expectAlive(mesh)
                scenarios.append(
                    Self.report(
                        "hostile-peer-garbage",
                        mesh,
                        sent: garbage.count + 1,
                        shown: fromB,
                        expected: [valid.id.hex],
                        extra: ["refused": after.undecryptable - before.undecryptable]
                    )
                )
            }

            // 2. Skipped-key exhaustion: a message numbered far past MAX_SKIP (b's ratchet advanced 1,500 steps
            // in a transaction that is rolled back), then a normal message from b's real state.
            do {
                let before = try await Self.figures(a)
                let far = try contact.rolledBack { db, ledger in
                    var random = SystemRandom()
                    for _ in 0..<(RatchetLimits.default.maximumSkip + 500) {
                        _ = try ledger.ratchet.encrypt([0], to: contact.victimKey, random: &random, in: db)
                    }
                    return try contact.send("far beyond MAX_SKIP", ledger, db)
                }
                try await contact.deliver(far.payload)
                _ = try await TestMesh.eventually("a to refuse the far message") {
                    try await Self.figures(a).undecryptable > before.undecryptable ? true : nil
                }
                let next = try contact.message("after the exhaustion attempt")
                try await contact.deliver(next.payload)
                _ = try await Self.shown(a, id: next.id.hex, after: before.cursor)
                // Within the budget (b's real state skips 990 keys): a derives and keeps them, and shows the message.
                let within = try await contact.database.pool.write { db in
                    var random = SystemRandom()
                    for _ in 0..<(RatchetLimits.default.maximumSkip - 10) {
                        _ = try contact.ledger.ratchet.encrypt([0], to: contact.victimKey, random: &random, in: db)
                    }
                    return try contact.send("within MAX_SKIP", contact.ledger, db)
                }
                try await contact.deliver(within.payload)
                _ = try await Self.shown(a, id: within.id.hex, after: before.cursor)
                let fromB = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                #expect(
                    fromB.map(\.id) == [next.id.hex, within.id.hex],
                    "the far message is refused; the next one, and one within MAX_SKIP, are shown"
                )
                try Self.expectAlive(mesh)
                scenarios.append(
                    Self.report(
                        "hostile-peer-max-skip",
                        mesh,
                        sent: 3,
                        shown: fromB,
                        expected: [next.id.hex, within.id.hex],
                        extra: ["skip_requested": RatchetLimits.default.maximumSkip + 500]
                    )
                )
            }

            // 3. Header-key confusion: a valid b → a ratchet envelope under c's name; under b's own name, an envelope
            // of b's real session with c, and an envelope b encrypted for another agent (its X3DH start with
            // someone else).
            do {
                let before = try await Self.figures(a)
                let asC = try contact.rolledBack { db, ledger in try contact.send("I am c", ledger, db) }
                guard case .session(let frame) = try MeshEnvelope.decode(asC.payload) else {
                    throw TestFailure("not a session frame")
                }
                let impersonation = MeshEnvelope.session(
                    SessionFrame(sender: keyC, messageID: frame.messageID, ratchet: frame.ratchet)
                ).encoded()
                let ofSessionWithC = try contact.rolledBack { db, ledger in
                    var random = SystemRandom()
                    let sealed = try ledger.ratchet.encrypt(Array("b to c".utf8), to: keyC, random: &random, in: db)
                    return MeshEnvelope.session(
                        SessionFrame(
                            sender: contact.identity.publicKey,
                            messageID: MessageID.random(using: &random),
                            ratchet: sealed
                        )
                    ).encoded()
                }
                let elsewhere = try contact.envelopeForAnotherPeer()
                for bytes in [impersonation, ofSessionWithC, elsewhere] { try await contact.deliver(bytes) }
                _ = try await TestMesh.eventually("a to refuse all three") {
                    try await Self.figures(a).undecryptable >= before.undecryptable + 3 ? true : nil
                }
                // Both sessions still work: b's and c's next messages are shown.
                let next = try contact.message("after the confusion")
                try await contact.deliver(next.payload)
                _ = try await Self.shown(a, id: next.id.hex, after: before.cursor)
                let fromC = try await c.send(
                    SendRequest(to: didA, intent: "chat.message", body: .object(["text": .string("still c")]))
                )
                _ = try await Self.shown(a, id: fromC.id, after: before.cursor)
                let fromB = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                let asShownC = try await Self.inbox(a, from: didC, after: before.cursor)
                #expect(fromB.map(\.id) == [next.id.hex])
                #expect(asShownC.map(\.id) == [fromC.id], "nothing b sent is shown as c's")
                try Self.expectAlive(mesh)
                scenarios.append(
                    Self.report(
                        "hostile-peer-header-confusion",
                        mesh,
                        sent: 4,
                        shown: fromB + asShownC.filter { $0.id != fromC.id },
                        expected: [next.id.hex]
                    )
                )
            }

            // 4. A flood of valid messages from b while c sends a few: c's are shown promptly.
            do {
                let before = try await Self.figures(a)
                let flood = try contact.messages(count: floodSize, text: "flood")
                let started = ContinuousClock.now
                // The whole flood is at the relay (a's mailbox) before c speaks, so a is busy with it throughout.
                try await contact.deliver(all: flood.map(\.payload))
                let handedOver = ContinuousClock.now - started
                var latencies: [Duration] = []
                for index in 0..<5 {
                    let sentAt = ContinuousClock.now
                    let message = try await c.send(
                        SendRequest(to: didA, intent: "chat.message", body: .object(["text": .string("c #\(index)")]))
                    )
                    _ = try await Self.shown(a, id: message.id, after: before.cursor)
                    latencies.append(ContinuousClock.now - sentAt)
                }
                let floodShownMeanwhile = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                    .count
                let fromB = try await TestMesh.eventually("the whole flood at a", timeout: .seconds(90)) {
                    let shown = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                    return shown.count >= flood.count ? shown : nil
                }
                let elapsed = ContinuousClock.now - started
                let worst = latencies.max() ?? .zero
                // c's first message waits behind the burst already in a's relay mailbox (one FIFO per recipient, no
                // per-sender fairness, a known weakness): about 2 s for 2,000 on an idle machine, 5 to 7 s on a
                // loaded one, and 10.2 s once in a full CI run; bounded by the relay's per-sender burst and a's
                // processing rate. The bound is for the flood size: 10 s per 2,000 flooded messages, at least 10 s.
                let bound = Duration.seconds(max(10, floodSize / 200))
                #expect(worst < bound, "c's messages were shown within \(bound) during the flood: \(latencies)")
                #expect(fromB.map(\.id) == flood.map(\.id.hex), "the flood is shown once each, in order")
                let rss = Self.rss(mesh, "a")
                #expect(rss < 512, "a's peak resident set stays bounded: \(rss) MB")
                try Self.expectAlive(mesh)
                scenarios.append(
                    Self.report(
                        "hostile-peer-flood",
                        mesh,
                        sent: flood.count,
                        shown: fromB,
                        expected: flood.map(\.id.hex),
                        extra: [
                            "other_conversation_max_latency_ms": Self.milliseconds(worst),
                            "other_conversation_latencies_ms": latencies.map(Self.milliseconds),
                            "flood_handed_to_relay_ms": Self.milliseconds(handedOver),
                            "flood_shown_ms": Self.milliseconds(elapsed),
                            "flood_shown_while_c_spoke": floodShownMeanwhile,
                        ]
                    )
                )
            }

            // 5. Receipts for messages a sent to c (waiting for c's receipt) or never sent, and replies citing them.
            do {
                try await mesh.stop("c")
                let before = try await Self.figures(a)
                let toC = try await a.send(
                    SendRequest(to: didC, intent: "chat.message", body: .object(["text": .string("for c only")]))
                )
                var random = SystemRandom()
                let neverSent = MessageID.random(using: &random)
                let cited = try #require(MessageID(hex: toC.id))
                let receipt = try contact.receipt(for: [cited, neverSent])
                let replyToC = try contact.message("re: your note to c", inReplyTo: cited)
                let replyToNothing = try contact.message("re: nothing", inReplyTo: neverSent)
                for entry in [receipt, replyToC, replyToNothing] { try await contact.deliver(entry.payload) }
                _ = try await Self.shown(a, id: replyToNothing.id.hex, after: before.cursor)
                let after = try await Self.figures(a)
                let state = try await a.sentMessage(id: toC.id)
                #expect(state.state != "delivered" && state.deliveredAt == nil, "b cannot settle a's message to c")
                #expect(after.receipts == before.receipts, "no receipt from b settled anything")
                let fromB = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                #expect(fromB.map(\.id) == [replyToC.id.hex, replyToNothing.id.hex])
                // c comes back: its own receipt settles the message, and the conversation goes on.
                try await mesh.startAgent("c")
                c = try mesh.client("c")
                _ = try await TestMesh.eventually("c's receipt", timeout: .seconds(30)) {
                    try await a.sentMessage(id: toC.id).state == "delivered" ? true : nil
                }
                try Self.expectAlive(mesh)
                scenarios.append(
                    Self.report(
                        "hostile-peer-forged-receipts",
                        mesh,
                        sent: 3,
                        shown: fromB,
                        expected: [replyToC.id.hex, replyToNothing.id.hex],
                        extra: ["wrongly_delivered": state.state == "delivered" ? 1 : 0]
                    )
                )
            }
            // 6. The documented lever (docs/owner-controls.md): envelopes from a contact that do not decrypt count
            // toward the automatic breaker, which then stops a's sends to everyone until the owner resets it. Its
            // inbound conversations go on, and after the reset so do its sends.
            do {
                let before = try await Self.figures(a)
                let copy = try contact.rolledBack { db, ledger in try contact.send("tampered", ledger, db) }
                var tampered = copy.payload
                tampered[tampered.count - 1] ^= 0x01
                let threshold = BreakerLimits().decryptFailures.count
                // First as many frames naming c as sender, sent over b's login: dropped before any session is tried,
                // they do not count, so b cannot spend c's name on a's breaker (decision 0094).
                guard case .session(let tamperedFrame) = try MeshEnvelope.decode(tampered) else {
                    throw TestFailure("not a session frame")
                }
                let posingAsC = MeshEnvelope.session(
                    SessionFrame(sender: keyC, messageID: tamperedFrame.messageID, ratchet: tamperedFrame.ratchet)
                ).encoded()
                try await contact.deliver(all: Array(repeating: posingAsC, count: threshold))
                _ = try await TestMesh.eventually("a to drop every frame posing as c") {
                    try await Self.figures(a).undecryptable >= before.undecryptable + threshold ? true : nil
                }
                #expect(try await a.breaker().state == "closed", "frames posing as another contact do not trip it")
                try await contact.deliver(all: Array(repeating: tampered, count: threshold))
                let tripped = try await TestMesh.eventually("the breaker to trip") {
                    let status = try await a.breaker()
                    return status.state == "tripped" ? status : nil
                }
                #expect(tripped.automatic, "an automatic trip: \(tripped.reason ?? "")")
                var refusedWhileTripped = false
                do {
                    _ = try await a.send(
                        SendRequest(to: didC, intent: "chat.message", body: .object(["text": .string("tripped")]))
                    )
                } catch {
                    refusedWhileTripped = true
                }
                #expect(refusedWhileTripped, "a tripped breaker refuses a's sends, to c as well")
                let inbound = try await c.send(
                    SendRequest(to: didA, intent: "chat.message", body: .object(["text": .string("c while tripped")]))
                )
                _ = try await Self.shown(a, id: inbound.id, after: before.cursor)
                _ = try await a.resetBreaker()
                let afterReset = try await a.send(
                    SendRequest(to: didC, intent: "chat.message", body: .object(["text": .string("after reset")]))
                )
                _ = try await TestMesh.eventually("a → c after the reset") {
                    try await a.sentMessage(id: afterReset.id).state == "delivered" ? true : nil
                }
                let fromB = try await Self.inbox(a, from: contact.identity.did, after: before.cursor)
                #expect(fromB.isEmpty, "no tampered copy is shown")
                try Self.expectAlive(mesh)
                scenarios.append(
                    Self.report(
                        "hostile-peer-breaker-lever",
                        mesh,
                        sent: 2 * threshold,
                        shown: fromB,
                        expected: [],
                        extra: [
                            "breaker_tripped": true, "sends_refused_while_tripped": refusedWhileTripped,
                            "breaker_reason": tripped.reason ?? "",
                        ]
                    )
                )
            }
            // a's own account agrees: the same node process all along, its two contacts, and every message it
            // showed counted once.
            let status = try await a.status()
            let shownToA =
                try await Self.inbox(a, from: didC, after: 0).count
                + Self.inbox(a, from: contact.identity.did, after: 0).count
            #expect(status.contacts == 2, "b is still a contact, nothing else was added: \(status.contacts)")
            #expect(status.inboxCount == shownToA, "the inbox count matches what the API lists")
            #expect(status.uptimeSeconds >= uptimeBefore, "a never restarted")
            for report in scenarios {
                let line = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
                print(String(decoding: line, as: UTF8.self))
            }
        } catch {
            await hostile?.close()
            await mesh.stopAll()
            throw TestFailure("\(error) (logs in \(mesh.root))")
        }
        await hostile?.close()
        await mesh.stopAll()
        try? FileManager.default.removeItem(atPath: mesh.root)
    }
}
