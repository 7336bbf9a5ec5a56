import Foundation
import Kademlia
import KademliaDriver
import MeshCore
import MeshNodeAPI
import MeshPeer
import Testing

@testable import MeshNode

/// Issue 19: hostile DHT peers around real nodes. Three honest `meshpeer dht serve` nodes, a relay, a victim agent
/// (`meshpeer run`) that publishes its record and a capability, and a second agent that looks it up by DID and by
/// capability, knocks and sends. Around them, hostile peers the test drives over real UDP sockets with the core's own
/// codec and keys of their own: a Sybil cluster ground to share 8 leading bits with the victim's record key (and a
/// smaller one near its capability key) that honest nodes verify and keep in their tables like anyone; liars that
/// answer every lookup with each other only (an eclipse attempt) and serve forged records for the victim (a tampered
/// signature, a record signed by another key under the victim's DID, another agent's record under the victim's key,
/// the victim's own older record replayed, a record over the card limit, an oversize envelope, a forged provider
/// entry); and storers that say "stored" and keep nothing. They also push their forgeries with STORE at the honest
/// nodes and at both agents' DHT nodes.
///
/// The promise: the victim's real record (the newest it published) is what the asker's API returns, by DID and by
/// capability; the asker's messages reach the victim exactly once; every honest node still holds the real record;
/// every forged store is refused with its reason, and the refusals are counted in the agents' `/metrics`. One JSON
/// line reports it.
@Suite(.serialized)
struct HostileDHTProcessTests {
    static let capability = "vulnerable"

    @Test func theVictimIsFoundAndNothingForgedIsAccepted() async throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["MESHPEER_ADVERSARY_MESSAGES"].flatMap(Int.init) ?? 20
        let mesh = try TestMesh.make("hostile-dht")
        var liars: [HostileDHTPeer] = []
        do {
            let started = ContinuousClock.now
            try await mesh.startBootstrap()
            var honestNodes = [try TransportAddress.resolve(mesh.bootstrapAddress)]
            for index in 1...2 { honestNodes.append(try await Self.startHonestNode(mesh, "honest-\(index)")) }
            let honest = honestNodes
            let relay = try await mesh.startRelay("relay")
            // The victim republishes rarely: the asker's DHT node must not get the real record pushed to it by the
            // victim during the test, so its lookups really go through the liars.
            try await mesh.prepareAgent(
                "victim",
                card: TestMesh.card("Victim", skills: [Self.capability]),
                policy: ["default": "accept"],
                relays: [relay],
                extra: ["republishSeconds": 110]
            )
            let victimIdentity = try Keystore(home: mesh.home("victim")).loadIdentity(passphrase: nil)
            let did = victimIdentity.did
            let recordKey = AgentRecord.key(forDID: did)
            let capabilityKey = ProviderRecord.key(forCapability: Self.capability)

            // The Sybil cluster: 8 peers within 8 bits of the record key, 4 near the capability key.
            let sybilBits = 8
            for index in 0..<12 {
                let key = try HostileDHTPeer.ground(near: index < 8 ? recordKey : capabilityKey, bits: sybilBits)
                liars.append(try await HostileDHTPeer.start(key: key, group: TestMesh.group))
            }
            for liar in liars { liar.setColluders(liars.map(\.contact)) }
            // They join like anyone: a ping to each honest node, which pings back before it admits them.
            for liar in liars {
                for address in honest { _ = await liar.request(.ping, to: address) }
            }
            let snapshot = liars
            _ = try await TestMesh.eventually("the honest nodes to verify every Sybil") {
                snapshot.allSatisfy { liar in honest.allSatisfy { liar.pingedBy.contains($0) } } ? true : nil
            }

            // The victim publishes; the Sybils near its key are among the storers and keep a copy. A restart
            // publishes a newer record, and the first becomes the stale one to replay.
            try await mesh.startAgent("victim")
            let first = try await Self.captured(liars, did: did, above: 0)
            try await mesh.stop("victim")
            let victimReady = try await mesh.startAgent("victim")
            let victimDHT = try victimReady.dht.map { try TransportAddress.resolve($0) }
            let storers = honest + victimDHT
            // The real record: the newest the victim published, once every honest storer holds it.
            let real = try await TestMesh.eventually("every honest storer to hold the victim's newer record") {
                let held = await Self.stored(under: recordKey, at: honest, asking: snapshot[0])
                guard held.count == honest.count, let record = held.first, record.sequence > first.sequence,
                    held.allSatisfy({ $0 == record })
                else { return nil as AgentRecord? }
                return record
            }

            // The liars arm: every value request for the victim gets a forgery, every provider request a forged
            // entry, and each liar pushes its forgeries at the honest nodes and the victim's DHT node.
            let forged = try ForgedAgentRecords(
                real: real,
                stale: first,
                victimKey: victimIdentity.signingKey,
                attacker: liars[0].key,
                capability: Self.capability
            )
            for liar in liars {
                liar.serve(forged.served, under: recordKey)
                liar.serveProviders([forged.provider.envelope], under: capabilityKey)
            }
            var pushes = PushOutcome()
            for (index, storer) in storers.enumerated() {
                pushes.merge(
                    try await Self.push(forged, from: liars[index % liars.count], to: storer, recordKey: recordKey)
                )
            }

            // The asker joins after the attack is in place; the liars push at its DHT node too. It holds nothing
            // for the victim yet, so the genuine stale record is new to it and it may keep it as a storer.
            try await mesh.prepareAgent(
                "asker",
                card: TestMesh.card("Asker", skills: ["asking"]),
                policy: [:],
                relays: [relay]
            )
            let askerReady = try await mesh.startAgent("asker")
            let askerDHT = try askerReady.dht.map { try TransportAddress.resolve($0) }
            for address in askerDHT {
                for liar in liars { _ = await liar.request(.ping, to: address) }
            }
            let asker = try mesh.client("asker")
            let askerDID = try await asker.status().did
            let askerID = NodeID(publicKey: try DIDKey.decode(askerDID))

            // Lookups by DID and by capability, several times (the liars serve their forgeries in turn): four while
            // the asker's own store holds nothing of the victim, four after the liars pushed their forgeries into it.
            var answers: [AgentSummary] = []
            var findMilliseconds: [Int] = []
            for round in 0..<8 {
                if round == 4 {
                    for address in askerDHT {
                        pushes.merge(
                            try await Self.push(
                                forged,
                                from: liars[1],
                                to: address,
                                recordKey: recordKey,
                                holdsReal: false
                            )
                        )
                    }
                }
                let asked = ContinuousClock.now
                let found =
                    round.isMultiple(of: 2)
                    ? try await asker.find(.did(did))
                    : try await asker.find(.capability(Self.capability)).filter { $0.did == did }
                findMilliseconds.append(HostilePeerProcessTests.milliseconds(ContinuousClock.now - asked))
                #expect(found.count == 1, "round \(round): the victim is found once: \(found.map(\.did))")
                answers += found
            }
            // Real: a record the victim itself published (the Sybils, among its storers, were handed each one), and
            // not older than what the honest storers held when the asker started (the victim may republish).
            let genuine = Dictionary(
                liars.flatMap(\.captured).compactMap { try? AgentRecord(envelope: $0) }.filter { $0.did == did }
                    .map { ($0.sequence, $0) },
                uniquingKeysWith: { first, _ in first }
            )
            let forgedAnswers = answers.filter { answer in
                guard let published = genuine[answer.sequence], answer.sequence >= real.sequence else { return true }
                return answer.homeRelays != published.homeRelays
            }
            #expect(
                forgedAnswers.isEmpty,
                "every answer is the real record (sequence \(real.sequence)): \(answers.map(\.sequence))"
            )
            let liarsAskedByAsker = liars.map { $0.valueRequestsBy[askerID] ?? 0 }.reduce(0, +)
            #expect(liarsAskedByAsker > 0, "the asker's lookups went through the liars (the attack was in its path)")

            // Knock and messages: exactly once each.
            _ = try await asker.knock(KnockRequest(to: did, intent: "chat.message", purpose: "hostile dht"))
            _ = try await TestMesh.eventually("the victim to accept the knock") {
                try await asker.contacts().first { $0.did == did }
            }
            let sent = try await HostileRelayProcessTests.send(count, from: asker, to: did, marker: "dht-\(UUID())")
            let shown = try await HostileRelayProcessTests.inbox(
                mesh.client("victim"),
                from: askerDID,
                count: sent.count,
                timeout: .seconds(max(60, count / 4)),
                seed: 0
            )
            #expect(shown.map(\.id) == sent.map(\.id), "every message shown once, in order")

            // Afterwards: every honest storer still holds exactly the real record, and nobody accepted a forgery.
            let held = await Self.stored(under: recordKey, at: storers, asking: liars[0])
            let newest = liars.flatMap(\.captured).compactMap { try? AgentRecord(envelope: $0) }
                .filter { $0.did == did }.max { $0.sequence < $1.sequence }
            #expect(
                held.count == storers.count && held.allSatisfy { $0 == newest },
                "every honest storer holds the newest record the victim published: \(held.map(\.sequence))"
            )
            #expect(pushes.accepted.isEmpty, "no storer accepted a forgery: \(pushes.accepted)")
            #expect(pushes.wrongCode.isEmpty, "each forgery refused for its own reason: \(pushes.wrongCode)")
            let askerRefusals = Self.rejections(in: try await asker.metrics())
            let victimRefusals = Self.rejections(in: try await mesh.client("victim").metrics())
            #expect(askerRefusals.values.reduce(0, +) > 0, "the asker counts the forgeries it refused")
            #expect((victimRefusals["bad-signature"] ?? 0) > 0, "the victim counts the forged stores it refused")
            let honestLogged = ["bootstrap", "honest-1", "honest-2"].map { Self.logged("record-rejected", mesh, $0) }
            #expect(honestLogged.allSatisfy { $0 > 0 }, "each honest node reports its refusals: \(honestLogged)")

            let rss = HostileRelayProcessTests.maximumRSS(mesh, ["victim"])
            #expect(rss < 512, "the victim's peak resident set stays bounded: \(rss) MB")
            let report: [String: Any] = [
                "scenario": "hostile-dht", "messages_sent": sent.count,
                "delivered_once": Set(shown.map(\.id)).intersection(sent.map(\.id)).count,
                "duplicates_shown": shown.count - Set(shown.map(\.id)).count,
                "forged_shown": forgedAnswers.count + shown.filter { !sent.map(\.id).contains($0.id) }.count,
                // The DHT carries no message bodies; the messages go through the (honest) relay, encrypted.
                "plaintext_leaks": 0, "max_rss_mb": rss,
                "sybils": liars.count, "sybil_prefix_bits": sybilBits,
                "forged_refused": pushes.refused + askerRefusals.values.reduce(0, +)
                    + victimRefusals.values.reduce(0, +),
                "forged_accepted": pushes.accepted.count, "forged_stores_refused": pushes.refused,
                "stale_kept_by_the_askers_empty_store": pushes.keptStale,
                "asker_rejections": askerRefusals, "victim_rejections": victimRefusals,
                "honest_nodes_logged_rejections": honestLogged.reduce(0, +),
                "liar_value_requests_from_asker": liarsAskedByAsker, "finds": answers.count,
                "find_ms": findMilliseconds,
                "wall_ms": HostilePeerProcessTests.milliseconds(ContinuousClock.now - started),
            ]
            let line = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: line, as: UTF8.self))
        } catch {
            for liar in liars { await liar.close() }
            await mesh.stopAll()
            throw TestFailure("\(error) (logs in \(mesh.root))")
        }
        for liar in liars { await liar.close() }
        await mesh.stopAll()
        try? FileManager.default.removeItem(atPath: mesh.root)
    }

    /// Another honest `meshpeer dht serve` node, joined through the bootstrap node; its address.
    static func startHonestNode(_ mesh: LocalMesh, _ name: String) async throws -> TransportAddress {
        let process = try mesh.spawn(
            name,
            ["dht", "serve", "--ephemeral", "--listen", "127.0.0.1:0", "--bootstrap", mesh.bootstrapAddress, "--json"]
        )
        let listening = try await process.waitForEvent(
            "listening",
            as: LocalMesh.Listening.self,
            timeout: .seconds(30)
        )
        guard let address = listening.addresses?.first else { throw TestFailure("\(name) named no address") }
        return try TransportAddress.resolve(address)
    }

    /// Waits (bounded) until a Sybil has been handed a genuine record of `did` newer than `above`; the newest.
    static func captured(_ liars: [HostileDHTPeer], did: String, above: UInt64) async throws -> AgentRecord {
        try await TestMesh.eventually("a Sybil to be handed the victim's record (above \(above))") {
            let records = liars.flatMap(\.captured).compactMap { try? AgentRecord(envelope: $0) }
            return records.filter { $0.did == did && $0.sequence > above }.max { $0.sequence < $1.sequence }
        }
    }

    /// The agent record each of `storers` answers a FIND_VALUE for `key` with (storers that answer none are left
    /// out), asked with the Kademlia codec.
    static func stored(
        under key: NodeID,
        at storers: [TransportAddress],
        asking peer: HostileDHTPeer
    ) async -> [AgentRecord] {
        var records: [AgentRecord] = []
        for storer in storers {
            guard let reply = await peer.request(.findValue(key: key), to: storer),
                case .value(let envelope?, _, _) = reply.message,
                let record = try? AgentRecord(envelope: envelope)
            else { continue }
            records.append(record)
        }
        return records
    }

    struct PushOutcome {
        var refused = 0
        var accepted: [String] = []
        var wrongCode: [String] = []
        /// Genuine older records an empty storer kept (it holds nothing newer, so it may).
        var keptStale = 0

        mutating func merge(_ other: PushOutcome) {
            refused += other.refused
            keptStale += other.keptStale
            accepted += other.accepted
            wrongCode += other.wrongCode
        }
    }

    /// `peer` pushes every forgery at `storer` with STORE (after a FIND_VALUE for the write token), the forged
    /// provider entry with ADD_PROVIDER, and an oversize envelope the codec cannot carry. A storer that holds the
    /// real record must refuse each with its code; one that holds nothing yet may keep the genuine stale record.
    static func push(
        _ forged: ForgedAgentRecords,
        from peer: HostileDHTPeer,
        to storer: TransportAddress,
        recordKey: NodeID,
        holdsReal: Bool = true
    ) async throws -> PushOutcome {
        guard let reply = await peer.request(.findValue(key: recordKey), to: storer),
            case .value(_, _, let token) = reply.message
        else { throw TestFailure("\(storer) gave no write token") }
        var outcome = PushOutcome()
        func answer(_ name: String, _ message: KademliaMessage, expected: RecordRejection.Code?) async {
            guard let reply = await peer.request(message, to: storer),
                case .stored(let accepted, let code) = reply.message
            else { return outcome.wrongCode.append("\(name) at \(storer): no answer") }
            if accepted {
                if expected != nil {
                    outcome.accepted.append("\(name) at \(storer)")
                } else {
                    outcome.keptStale += 1
                }
            } else {
                outcome.refused += 1
                if let expected, code != expected.rawValue {
                    outcome.wrongCode.append("\(name) at \(storer): \(code)")
                }
            }
        }
        for (name, record, code) in forged.pushed {
            let expected: RecordRejection.Code? = (!holdsReal && code == .stale) ? nil : code
            await answer(name, .store(token: token, record: record.envelope), expected: expected)
        }
        await answer("provider", .addProvider(token: token, record: forged.provider.envelope), expected: .badSignature)
        // The codec refuses to decode an envelope over the limit: the datagram is dropped unanswered.
        let oversize = HostileDHTPeer.oversizeStore(type: .agent, bytes: forged.oversizeBytes, token: token)
        peer.write(HostileDHTPeer.datagram(body: oversize, transaction: 1, key: peer.key), to: storer)
        return outcome
    }

    /// `meshpeer_dht_records_rejected_total` by code, from a node's `/metrics`.
    static func rejections(in metrics: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in metrics.split(separator: "\n") where line.hasPrefix("meshpeer_dht_records_rejected_total{") {
            guard let code = line.split(separator: "\"").dropFirst().first else { continue }
            counts[String(code), default: 0] += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return counts
    }

    /// How many lines of a member's log mention `event`.
    static func logged(_ event: String, _ mesh: LocalMesh, _ name: String) -> Int {
        guard let text = try? String(contentsOfFile: mesh.root + "/\(name).log", encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count { $0.contains(event) }
    }
}
