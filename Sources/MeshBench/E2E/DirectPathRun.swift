import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer

/// The direct path end to end: messages per second once a conversation runs on its direct channel, the time from
/// the first offer to a validated channel, and what forced path switches lose or repeat (`switch_loss`, which
/// must be 0).
enum DirectPathRun {
    /// Sends a message at a time until the sender's conversation with `recipient` runs direct, then waits for
    /// the receipts of those messages, so none of them is still in flight when a measurement starts (bounded).
    static func warmUp(_ mesh: E2EMesh, from sender: String, to recipient: String) async throws {
        let a = try mesh.client(sender)
        let to = mesh.dids[recipient]!
        let warm = LockedValue<[String]>([])
        _ = try await eventually("\(sender) → \(recipient) on a direct path", timeout: .seconds(60)) {
            let report = try await a.paths()
            if report.peers.contains(where: { $0.peer == to && $0.path == "direct" }) { return true }
            let request = SendRequest(to: to, intent: "chat.message", body: .object(["text": .string("warm")]))
            let id = try await a.send(request).id
            warm.withLock { $0.append(id) }
            try await Task.sleep(for: .milliseconds(20))
            return nil
        }
        let ids = warm.withLock { $0 }
        _ = try await eventually("the warm-up messages' receipts", timeout: .seconds(60)) { () async throws -> Bool? in
            for id in ids where try await a.sent(id: id).state != "delivered" { return nil }
            return true
        }
    }

    struct Throughput: Sendable {
        var perSecond: Double
        /// Messages the recipient counted as arriving over the direct channel, per message sent.
        var directShare: Double
        var cpuPerMessage: [String: Double]
    }

    /// `RelayThroughput`'s run, on a conversation that is direct at the start; the recipient's direct counter says
    /// how much of it really went direct.
    static func throughput(
        _ mesh: E2EMesh,
        from sender: String,
        to recipient: String,
        messages: Int,
        size: Int,
        concurrency: Int
    ) async throws -> Throughput {
        try await warmUp(mesh, from: sender, to: recipient)
        let b = try mesh.client(recipient)
        let counter = "meshpeer_direct_messages_received_total"
        let before = metric(counter, in: try await b.metrics())
        let run = try await RelayThroughput.measure(
            mesh,
            from: sender,
            to: recipient,
            messages: messages,
            size: size,
            concurrency: concurrency
        )
        // The counter includes the receipts coming the other way only at the sender; at the recipient it counts
        // messages (and the sender's few signals).
        let after = metric(counter, in: try await b.metrics())
        return Throughput(
            perSecond: run.perSecond,
            directShare: min(Double(after - before) / Double(messages), 1),
            cpuPerMessage: run.cpuPerMessage
        )
    }

    struct Switches: Sendable {
        var sent: Int
        var lost: Int
        var duplicated: Int
        var outOfOrder: Int
        var forcedSwitches: Int
        /// The sender's time from its offer to a validated channel, over every upgrade of the run (it offers each
        /// time: it has the messages).
        var timeToDirectP50: Double?
        var timeToDirectP95: Double?
        var upgrades: Int
    }

    /// `messages` messages from `sender` to `recipient` in `rounds`; between rounds the owner of one side (in turn)
    /// drops the direct channel (`POST /v1/paths/reset`), so the conversation falls back to the relay and
    /// upgrades again. Then the recipient's inbox is read: every message exactly once, in order.
    static func switches(
        _ mesh: E2EMesh,
        from sender: String,
        to recipient: String,
        messages: Int,
        rounds: Int
    ) async throws -> Switches {
        let a = try mesh.client(sender)
        let b = try mesh.client(recipient)
        let to = mesh.dids[recipient]!
        let from = mesh.dids[sender]!
        let start = try await FirstMessage.latestCursor(b)
        var sent: [String] = []
        var forced = 0
        let perRound = max(messages / max(rounds, 1), 1)
        for round in 0..<max(rounds, 1) {
            try await warmUp(mesh, from: sender, to: recipient)
            for index in 0..<perRound {
                let body: JSONValue = .object(["text": .string("switch \(round) \(index)")])
                sent.append(try await a.send(SendRequest(to: to, intent: "chat.message", body: body)).id)
            }
            // Half of the rounds reset at the sender, half at the recipient, while messages are in flight.
            let resetter = round % 2 == 0 ? a : b
            if (try? await resetter.resetPath(peer: round % 2 == 0 ? to : from)) != nil { forced += 1 }
        }
        let wanted = Set(sent)
        let seen = try await eventually("\(sent.count) messages at \(recipient)", timeout: .seconds(180)) {
            var ids: [String] = []
            var cursor = start
            for _ in 0..<1_000 {
                let page = try await b.messages(after: cursor, limit: 500, wait: nil)
                ids += page.messages.filter { $0.from == from && wanted.contains($0.id) }.map(\.id)
                if page.messages.isEmpty { break }
                cursor = page.cursor
            }
            return Set(ids).count == wanted.count ? ids : nil
        }
        let unique = Set(seen)
        var order = 0
        var last = -1
        let position = Dictionary(uniqueKeysWithValues: sent.enumerated().map { ($1, $0) })
        for id in seen {
            let here = position[id] ?? 0
            if here < last { order += 1 }
            last = max(last, here)
        }
        let report = try await a.paths()
        return Switches(
            sent: sent.count,
            lost: wanted.subtracting(unique).count,
            duplicated: seen.count - unique.count,
            outOfOrder: order,
            forcedSwitches: forced,
            timeToDirectP50: report.timeToDirectMsP50,
            timeToDirectP95: report.timeToDirectMsP95,
            upgrades: report.channelsValidated
        )
    }

    static func metric(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let value = Double(line.split(separator: " ").last ?? "") { return Int(value) }
        }
        return 0
    }
}
