import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 19: a real relay that lies sits between two real nodes. It drops, delays (and so reorders), duplicates,
/// replays, corrupts and misdelivers envelopes, answers `stored` for envelopes it throws away, and sometimes
/// claims another identity at login. The promise checked from the agents' side: every message is shown exactly
/// once, in order per conversation; nothing forged, replayed or misdelivered is shown; the relay's store holds
/// no plaintext. Each run prints one JSON line (the scenario report); MESHPEER_ADVERSARY_SEED replays a schedule
/// and MESHPEER_ADVERSARY_MESSAGES makes the run longer (`scripts/adversarial --long`).
@Suite(.serialized)
struct HostileRelayProcessTests {
    @Test func everyMessageOnceInOrderThroughALyingRelay() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["MESHPEER_ADVERSARY_SEED"].flatMap(UInt64.init) ?? .random(in: 1...99_999)
        let perDirection = environment["MESHPEER_ADVERSARY_MESSAGES"].flatMap(Int.init) ?? 40
        let mesh = try TestMesh.make("hostile-relay")
        do {
            // Relay only: the relay under test must carry every message (a direct path would bypass it).
            let (didA, didB) = try await TestMesh.pair(mesh, extra: TestMesh.relayOnly)
            // A bystander on the same relay: where misdelivered envelopes land.
            let relay = try #require(mesh.relayAddress("relay"))
            try await mesh.prepareAgent(
                "c",
                card: TestMesh.card("C", skills: ["gamma"]),
                policy: [:],
                relays: [relay],
                extra: TestMesh.relayOnly
            )
            try await mesh.startAgent("c")

            // The same relay (port, identity, store) comes back hostile once the two are contacts.
            try await mesh.stop("relay")
            var plan: [String: Any] = [
                "seed": seed, "drop": 0.06, "delay": 0.2, "maximumDelayMilliseconds": 1_500, "duplicate": 0.1,
                "replay": 0.1, "flip": 0.02, "misdeliver": 0.02, "lieStored": 0.2, "wrongIdentity": 0.3,
                "everyAttackOnce": true,
            ]
            // MESHPEER_ADVERSARY_PLAN (a JSON object) replaces any of these probabilities.
            if let text = environment["MESHPEER_ADVERSARY_PLAN"],
                let extra = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            {
                plan.merge(extra) { _, new in new }
            }
            try await mesh.startRelay("relay", settings: ["adversary": plan])

            let marker = "secret-\(UUID().uuidString)"
            let a = try mesh.client("a")
            let b = try mesh.client("b")
            async let fromA = Self.send(perDirection, from: a, to: didB, marker: marker + "-a")
            async let fromB = Self.send(perDirection, from: b, to: didA, marker: marker + "-b")
            let (liveByA, sentByB) = try await (fromA, fromB)
            // Then b goes offline: a's messages wait at the relay, which answers `stored` for some it throws away,
            // and lies about its identity to some of b's logins when b comes back.
            try await mesh.stop("b")
            let storedByA = try await Self.send(perDirection, from: a, to: didB, marker: marker + "-a-stored")
            try await mesh.startAgent("b")
            let sentByA = liveByA + storedByA

            let timeout = Duration.seconds(
                environment["MESHPEER_ADVERSARY_TIMEOUT"].flatMap(Int.init) ?? max(240, perDirection * 3)
            )
            let atB = try await Self.inbox(
                mesh.client("b"),
                from: didA,
                count: sentByA.count,
                timeout: timeout,
                seed: seed
            )
            let atA = try await Self.inbox(a, from: didB, count: perDirection, timeout: timeout, seed: seed)
            let atC = try await mesh.client("c").messages(after: 0, limit: 500, wait: nil).messages

            // Exactly once and in order, per conversation; nothing that was not sent.
            #expect(atB.map(\.id) == sentByA.map(\.id), "a → b once and in order (seed \(seed))")
            #expect(atA.map(\.id) == sentByB.map(\.id), "b → a once and in order (seed \(seed))")
            #expect(atB.map(\.body) == sentByA.map(\.body), "bodies as sent (seed \(seed))")
            #expect(atC.isEmpty, "the bystander was shown nothing misdelivered (seed \(seed))")

            // The relay really attacked: every kind of attack the plan names happened at least once. Drawn per
            // envelope alone, a rare kind could miss by chance (at 3 % no drop happened in one or two runs in a
            // hundred, December 6, seed 1); `everyAttackOnce` spends each kind's first chance on it, so a miss here
            // means the relay never had the chance (or never took it), which is a defect.
            let metricsPort = try #require(mesh.relayMetricsPort("relay"))
            let attacks = try await Self.attacks(metricsPort: metricsPort)
            for attack in ["delay", "duplicate", "replay", "drop", "lie_stored"]
            where (plan[Self.planKey(attack)] as? Double ?? 0) > 0 {
                #expect((attacks[attack] ?? 0) > 0, "the relay performed '\(attack)' (seed \(seed)): \(attacks)")
            }

            // The relay's store (and its write-ahead log) never held a message body.
            let directory = try #require(mesh.relayDirectory("relay"))
            var leaks = 0
            for file in ["relay.sqlite", "relay.sqlite-wal"] {
                guard let bytes = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
                if bytes.range(of: Data(marker.utf8)) != nil { leaks += 1 }
            }
            #expect(leaks == 0, "no plaintext in the relay's store")

            let report: [String: Any] = [
                "scenario": "hostile-relay", "seed": seed, "messages_sent": sentByA.count + sentByB.count,
                "delivered_once": Set(atB.map(\.id)).count + Set(atA.map(\.id)).count,
                "duplicates_shown": atB.count + atA.count - Set(atB.map(\.id)).count - Set(atA.map(\.id)).count,
                "forged_shown": atC.count + atB.filter { !$0.bodyText.hasPrefix(marker) }.count
                    + atA.filter { !$0.bodyText.hasPrefix(marker) }.count,
                "plaintext_leaks": leaks, "max_rss_mb": Self.maximumRSS(mesh, ["a", "b"]), "attacks": attacks,
            ]
            let line = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: line, as: UTF8.self))
        } catch {
            var state: [String] = []
            for name in ["a", "b"] {
                if let status = try? await mesh.client(name).status() {
                    state.append(
                        "\(name): outbox \(status.outboxPending), inbox \(status.inboxCount), relays "
                            + status.relays.map { "\($0.address) \($0.state)" }.joined(separator: ", ")
                    )
                }
            }
            await mesh.stopAll()
            // The logs and stores stay for a failure (the path is in the message).
            throw TestFailure("\(error); \(state.joined(separator: "; ")) (logs in \(mesh.root))")
        }
        await mesh.stopAll()
        try? FileManager.default.removeItem(atPath: mesh.root)
    }

    static func planKey(_ attack: String) -> String { attack == "lie_stored" ? "lieStored" : attack }

    struct Sent: Sendable {
        var id: String
        var body: JSONValue
    }

    /// `count` messages, one after the other (each accepted by the sender's API before the next).
    static func send(_ count: Int, from client: LocalAPIClient, to did: String, marker: String) async throws -> [Sent] {
        var sent: [Sent] = []
        for index in 0..<count {
            let body = JSONValue.object(["text": .string("\(marker) #\(index)")])
            let message = try await client.send(SendRequest(to: did, intent: "chat.message", body: body))
            sent.append(Sent(id: message.id, body: body))
        }
        return sent
    }

    /// Everything `did` sent that the agent was shown, in the order shown, once `count` have arrived.
    static func inbox(
        _ client: LocalAPIClient,
        from did: String,
        count: Int,
        timeout: Duration,
        seed: UInt64
    ) async throws -> [InboxMessage] {
        try await TestMesh.eventually("\(count) messages from \(did) (seed \(seed))", timeout: timeout) {
            var all: [InboxMessage] = []
            var cursor: Int64 = 0
            while true {
                let page = try await client.messages(after: cursor, limit: 500, wait: nil)
                all += page.messages.filter { $0.from == did }
                if page.messages.isEmpty { break }
                cursor = page.cursor
            }
            return all.count >= count ? all : nil
        }
    }

    /// `meshpeer_relay_adversary_attacks_total` by attack, from the relay's loopback metrics listener.
    static func attacks(metricsPort: Int) async throws -> [String: Int] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
        var attacks: [String: Int] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("meshpeer_relay_adversary_attacks_total{attack=\"") {
            let name = line.split(separator: "\"")[1]
            attacks[String(name)] = Int(line.split(separator: " ").last ?? "") ?? 0
        }
        return attacks
    }

    /// The largest resident set (VmHWM) among the named nodes, in MB.
    static func maximumRSS(_ mesh: LocalMesh, _ names: [String]) -> Double {
        names.compactMap { name -> Double? in
            guard let pid = mesh.process(name)?.pid,
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
            else { return nil }
            return kb / 1_024
        }.max() ?? 0
    }
}

extension InboxMessage {
    var bodyText: String { body["text"]?.stringValue ?? "" }
}
