import Foundation
import MeshNodeAPI
import MeshPeer

/// First contact, timed: the knocker looks the recipient up by DID, knocks (the recipient's policy accepts at
/// once), learns of the acceptance from its event stream, and sends a `chat.message` at once; the sample ends when
/// the recipient's long-poll `GET /v1/messages` returns that message.
enum FirstMessage {
    static let definition =
        "from the knocker's GET /v1/find?did= (DHT lookup of a peer it never contacted) through POST /v1/knocks, "
        + "the recipient's auto-accept (policy default accept), X3DH and the decision's return, POST /v1/messages "
        + "sent as soon as the knocker's event stream reports the knock accepted, until the recipient's long-poll "
        + "GET /v1/messages returns that message; one sample per unordered pair of agents, taken one at a time"

    struct Sample: Sendable {
        var totalMs: Double
        var lookupMs: Double
        var knockToAcceptMs: Double
        var sendToReadMs: Double
        /// "knocker → recipient".
        var pair: String
    }

    /// One sample per unordered pair (i < j): agent i knocks on agent j.
    static func measure(_ mesh: E2EMesh) async throws -> [Sample] {
        var samples: [Sample] = []
        for (i, knocker) in mesh.agents.enumerated() {
            for recipient in mesh.agents[(i + 1)...] {
                samples.append(try await sample(mesh, from: knocker, to: recipient))
            }
        }
        return samples
    }

    static func sample(_ mesh: E2EMesh, from knocker: String, to recipient: String) async throws -> Sample {
        let a = try mesh.client(knocker)
        let b = try mesh.client(recipient)
        let did = mesh.dids[recipient]!
        let text = "first contact \(UUID().uuidString)"
        let start = try await latestCursor(b)
        let events = try await a.connectEvents()
        // The recipient's reader runs before the clock starts, as an agent waiting for mail would.
        let reader = Task { try await readUntil(b, text: text, after: start, who: "\(recipient) from \(knocker)") }
        defer { reader.cancel() }
        let began = ContinuousClock.now
        let beganNs = DispatchTime.now().uptimeNanoseconds
        guard try await a.find(did: did).first != nil else {
            throw BenchError("\(knocker) could not find \(recipient) by DID")
        }
        let lookupMs = milliseconds(since: began)
        let knocked = ContinuousClock.now
        let knock = try await a.knock(KnockRequest(to: did, intent: "chat.message", purpose: "meshbench e2e"))
        let accepted = try await withDeadline(.seconds(60), "\(recipient)'s answer to \(knocker)'s knock") {
            for try await event in events where event.type == .knock {
                guard let summary = event.knock, summary.id == knock.id || summary.peer == did else { continue }
                if summary.state == "accepted" { return true }
                if summary.state == "rejected" { return false }
            }
            return false
        }
        guard accepted else { throw BenchError("\(recipient) did not accept \(knocker)'s knock") }
        let acceptMs = milliseconds(since: knocked)
        let sentNs = DispatchTime.now().uptimeNanoseconds
        _ = try await a.send(SendRequest(to: did, intent: "chat.message", body: .object(["text": .string(text)])))
        let read = try await reader.value
        return Sample(
            totalMs: Double(read - beganNs) / 1e6,
            lookupMs: lookupMs,
            knockToAcceptMs: acceptMs,
            sendToReadMs: Double(read - sentNs) / 1e6,
            pair: "\(knocker) → \(recipient)"
        )
    }

    /// Long-polls `client`'s inbox from `cursor` until a message with `text` arrives (at most 60 s); returns when.
    static func readUntil(
        _ client: BenchAPI,
        text: String,
        after cursor: Int64,
        who: String
    ) async throws
        -> UInt64
    {
        let wanted = JSONValue.object(["text": .string(text)])
        var cursor = cursor
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let page = try await client.messages(after: cursor, limit: 100, wait: .seconds(10))
            if page.messages.contains(where: { $0.body == wanted }) { return DispatchTime.now().uptimeNanoseconds }
            cursor = page.cursor
        }
        throw BenchError("the first message never reached \(who)")
    }

    /// The recipient's newest inbox cursor (pages through what is there, bounded).
    static func latestCursor(_ client: BenchAPI) async throws -> Int64 {
        var cursor: Int64 = 0
        for _ in 0..<10_000 {
            let page = try await client.messages(after: cursor, limit: 500, wait: nil)
            if page.messages.isEmpty { return cursor }
            cursor = page.cursor
        }
        return cursor
    }
}
