import Foundation
import MeshCore
import MeshNodeAPI
import MeshPeer

/// The main job, step by step, through each agent's local API as an agent in any language would do it.
struct DevnetScenario: Sendable {
    let mesh: LocalMesh
    let say: @Sendable (String) -> Void

    func run() async throws -> DevnetSummary {
        var checks: [String] = []
        let lexi = try mesh.client("lexi")
        let sam = try mesh.client("sam")
        let cody = try mesh.client("cody")
        let lexiDID = try await lexi.status().did
        let samDID = try await sam.status().did

        say("1. Sam looks for an agent that can translate legal documents")
        let found = try await MeshNode.eventually("Lexi's capability in the DHT", timeout: .seconds(90)) {
            try await sam.find(.capability("legal-translation")).first { $0.did == lexiDID }
        }
        say("   found \(found.card["name"]?.stringValue ?? "?") (\(short(found.did))), record verified")
        checks.append("discovery by capability, record signature and freshness verified")

        say("2. Sam knocks on Lexi: task.request, \"Translate a two-page NDA into French\"")
        let knock = try await sam.knock(
            KnockRequest(to: lexiDID, intent: "task.request", purpose: "Translate a two-page NDA into French")
        )
        let held = try await MeshNode.eventually("the knock to arrive at Lexi", timeout: .seconds(30)) {
            try await lexi.knocks().first { $0.id == knock.id && $0.state == "held" }
        }
        say("   Lexi's policy holds it for her owner: \(held.intent) from \(short(held.peer)): \"\(held.purpose)\"")
        checks.append("a knock held for the owner by policy")

        say("3. Lexi's owner approves the knock")
        _ = try await lexi.decide(knock: held.id, accept: true, reason: "happy to help")
        _ = try await MeshNode.eventually("Sam to learn the knock was accepted", timeout: .seconds(30)) {
            try await sam.knocks().first { $0.id == knock.id && $0.state == "accepted" }
        }
        say("   Sam sees the knock accepted (over the encrypted session)")
        checks.append("the owner's approval reached the sender end to end encrypted")

        say("4. Sam sends the task; Lexi answers it")
        let request = try await sam.send(
            SendRequest(
                to: lexiDID,
                intent: "task.request",
                body: .object([
                    "task": .string("translate"), "input": .object(["text": .string("NDA …"), "to": .string("fr")]),
                ])
            )
        )
        let arrived = try await MeshNode.eventually("the task at Lexi", timeout: .seconds(30)) {
            try await lexi.messages(after: 0, limit: 100, wait: .seconds(2)).messages.first { $0.id == request.id }
        }
        say("   Lexi received \(arrived.intent) \(short(arrived.id)) from \(short(arrived.from))")
        let answer = try await lexi.send(
            SendRequest(
                to: samDID,
                intent: "task.response",
                body: .object(["status": .string("ok"), "output": .string("Accord de confidentialité …")]),
                inReplyTo: arrived.id
            )
        )
        let reply = try await MeshNode.eventually("the answer at Sam", timeout: .seconds(30)) {
            try await sam.messages(after: 0, limit: 100, wait: .seconds(2)).messages.first { $0.id == answer.id }
        }
        guard reply.inReplyTo == request.id else { throw ConfigurationError("the answer does not reply to the task") }
        _ = try await MeshNode.eventually("Lexi's receipt at Sam", timeout: .seconds(30)) {
            let sent = try await sam.sentMessage(id: request.id)
            return sent.state == "delivered" ? sent : nil
        }
        say("   Sam has the answer (in reply to his task) and Lexi's delivery receipt")
        checks.append("typed messages both ways, end to end encrypted through relays, with receipts")

        say("5. Cody finds a summariser and knocks; Sam's policy accepts chat at once")
        let summariser = try await MeshNode.eventually("Sam's capability in the DHT", timeout: .seconds(60)) {
            try await cody.find(.capability("summarise")).first { $0.did == samDID }
        }
        _ = try await cody.knock(KnockRequest(to: summariser.did, intent: "chat.message", purpose: "Say hello"))
        _ = try await MeshNode.eventually("Sam's automatic acceptance at Cody", timeout: .seconds(30)) {
            try await cody.contacts().first { $0.did == samDID }
        }
        let hello = try await cody.send(
            SendRequest(to: samDID, intent: "chat.message", body: .object(["text": .string("Hello Sam, Cody here.")]))
        )
        _ = try await MeshNode.eventually("Cody's hello at Sam", timeout: .seconds(30)) {
            try await sam.messages(after: 0, limit: 100, wait: .seconds(2)).messages.first { $0.id == hello.id }
        }
        say("   accepted by policy, and Cody's chat message arrived")
        checks.append("a knock accepted automatically by the recipient's policy")
        let query = try await cody.send(
            SendRequest(to: samDID, intent: "capability.query", body: .object([:]))
        )
        let fullCard = try await MeshNode.eventually("Sam's full card at Cody", timeout: .seconds(30)) {
            try await cody.messages(after: 0, limit: 100, wait: .seconds(2)).messages.first {
                $0.inReplyTo == query.id
            }
        }
        let skills = fullCard.body["output"]?["skills"]?.arrayValue?.count ?? 0
        guard fullCard.intent == "task.response", skills > 0 else {
            throw ConfigurationError("Sam's node answered the capability query with \(fullCard.body)")
        }
        say("   Cody asked for Sam's full card (capability.query); Sam's node answered with \(skills) skill(s)")

        say("6. Lexi goes offline; Sam writes to her anyway")
        let before = try await lexi.messages(after: 0, limit: 500, wait: nil).cursor
        try await mesh.stop("lexi")
        var queued: [String] = []
        for index in 1...3 {
            let sent = try await sam.send(
                SendRequest(to: lexiDID, intent: "chat.message", body: .object(["text": .string("Follow-up \(index)")]))
            )
            queued.append(sent.id)
        }
        for id in queued {
            _ = try await MeshNode.eventually("a relay to hold message \(short(id))", timeout: .seconds(30)) {
                let sent = try await sam.sentMessage(id: id)
                return sent.state == "relayed" ? sent : nil
            }
        }
        say("   3 messages are held by Lexi's relays (store and forward)")
        try await mesh.startAgent("lexi")
        let lexiAgain = try mesh.client("lexi")
        let delivered = try await MeshNode.eventually("the queued messages at Lexi", timeout: .seconds(60)) {
            let page = try await lexiAgain.messages(after: before, limit: 100, wait: .seconds(2))
            return page.messages.count >= 3 ? page.messages : nil
        }
        let ids = delivered.map(\.id)
        guard ids == queued else {
            throw ConfigurationError(
                "Lexi got \(ids.map(short)) but Sam sent \(queued.map(short)) (order or copies differ)"
            )
        }
        say("   Lexi came back and read all 3, in order, once each")
        checks.append("store and forward to an agent that was offline, exactly once and in order")

        var agents: [DevnetSummary.AgentLine] = []
        for agent in DevnetAgent.cast {
            guard let ready = mesh.ready(agent.name) else { continue }
            agents.append(.init(name: agent.name, did: ready.did, api: ready.api, home: mesh.home(agent.name)))
        }
        return DevnetSummary(
            agents: agents,
            relays: ["relay-a", "relay-b"].compactMap(mesh.relayAddress),
            bootstrap: mesh.bootstrapAddress,
            checks: checks
        )
    }
}

func short(_ text: String) -> String {
    text.count > 20 ? "\(text.prefix(12))…\(text.suffix(4))" : text
}
