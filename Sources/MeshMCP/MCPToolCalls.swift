import Foundation
import MCP
import MeshPeer

/// Runs one tool call against the node. Every failure (bad arguments, no node, the node's refusal) comes back as
/// a tool error with a message the model can act on; nothing here throws to the MCP layer.
struct MCPToolCalls: Sendable {
    let api: MCPNodeAPI
    let allowKnockDecisions: Bool

    func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
        do {
            return try await dispatch(name, arguments)
        } catch let error as MCPToolError {
            return Self.failure(error.message)
        } catch let error as NodeAPIError {
            return Self.failure(MCPErrorText.describe(error, home: api.home))
        } catch {
            return Self.failure("\(name) failed: \(error)")
        }
    }

    private func dispatch(_ name: String, _ values: [String: Value]) async throws -> CallTool.Result {
        switch name {
        case "status":
            _ = try MCPArguments(tool: name, values, known: [])
            return try Self.success(try await api.status())
        case "find_agents":
            let arguments = try MCPArguments(tool: name, values, known: ["capability", "words"])
            let capability = try arguments.requiredString("capability", maximum: 256)
            let words = try arguments.string("words", required: false, maximum: 512)
            let agents = try await api.find(.capability(capability))
            return try Self.success(AgentList(agents: agents.filter { Self.matches($0, words: words) }))
        case "get_agent":
            let did = try MCPArguments(tool: name, values, known: ["did"]).requiredString("did", maximum: 512)
            guard let agent = try await api.find(.did(did)).first else {
                throw MCPToolError("get_agent: no record of \(did) in the DHT (unknown DID, or the agent is offline)")
            }
            return try Self.success(agent)
        case "knock":
            let arguments = try MCPArguments(tool: name, values, known: ["did", "intent", "purpose", "introduced_by"])
            let request = KnockRequest(
                to: try arguments.requiredString("did", maximum: 512),
                intent: try arguments.requiredString("intent", maximum: 128),
                purpose: try arguments.requiredString("purpose", maximum: 1024),
                introducedBy: try arguments.string("introduced_by", required: false, maximum: 512)
            )
            return try Self.success(try await api.knock(request))
        case "list_knocks":
            _ = try MCPArguments(tool: name, values, known: [])
            return try Self.success(KnockList(knocks: try await api.knocks()))
        case "approve_knock", "deny_knock":
            let arguments = try MCPArguments(tool: name, values, known: ["id", "reason"])
            let id = try arguments.requiredString("id", maximum: 256)
            let reason = try arguments.string("reason", required: false, maximum: 1024)
            guard allowKnockDecisions else {
                throw MCPToolError(
                    "\(name): knock decisions belong to the owner, who has not delegated them to this agent. Tell "
                        + "the user; the owner decides with `meshpeer approve ID` / `meshpeer deny ID`, or lets the "
                        + "agent decide by starting `meshpeer mcp --allow-knock-decisions`."
                )
            }
            return try Self.success(try await api.decide(knock: id, accept: name == "approve_knock", reason: reason))
        case "send_message":
            let arguments = try MCPArguments(tool: name, values, known: ["did", "intent", "body", "in_reply_to"])
            let request = SendRequest(
                to: try arguments.requiredString("did", maximum: 512),
                intent: try arguments.requiredString("intent", maximum: 128),
                body: try arguments.json("body", maximumBytes: MCPToolCatalog.maximumBodyBytes),
                inReplyTo: try arguments.string("in_reply_to", required: false, maximum: 256)
            )
            return try Self.success(try await api.send(request))
        case "read_messages":
            let arguments = try MCPArguments(tool: name, values, known: ["after", "limit", "wait_seconds"])
            let after = try arguments.integer("after", in: 0...Int64.max) ?? 0
            let limit = try arguments.integer("limit", in: 1...500) ?? 50
            let wait = try arguments.number("wait_seconds", in: 0...60).map { Duration.milliseconds(Int($0 * 1000)) }
            return try Self.success(try await api.messages(after: after, limit: Int(limit), wait: wait))
        case "message_status":
            let id = try MCPArguments(tool: name, values, known: ["id"]).requiredString("id", maximum: 256)
            return try Self.success(try await api.sentMessage(id: id))
        case "list_contacts":
            _ = try MCPArguments(tool: name, values, known: [])
            return try Self.success(ContactList(contacts: try await api.contacts()))
        default:
            let names = MCPToolCatalog.tools(allowKnockDecisions: true).map(\.name).joined(separator: ", ")
            throw MCPToolError("no tool `\(name)` (the tools are \(names))")
        }
    }

    /// True when every word appears (case-insensitively) somewhere in the agent's card.
    static func matches(_ agent: AgentSummary, words: String?) -> Bool {
        guard let words else { return true }
        let card = (try? String(decoding: JSONEncoder().encode(agent.card), as: UTF8.self)) ?? ""
        return words.split(whereSeparator: \.isWhitespace).allSatisfy { card.localizedCaseInsensitiveContains($0) }
    }

    static func success<T: Encodable>(_ value: T) throws -> CallTool.Result {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        let structured: Value? = try JSONDecoder().decode(Value.self, from: data)
        return CallTool.Result(
            content: [.text(text: String(decoding: data, as: UTF8.self), annotations: nil, _meta: nil)],
            structuredContent: structured,
            isError: false
        )
    }

    static func failure(_ message: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }
}

struct AgentList: Encodable { var agents: [AgentSummary] }
struct KnockList: Encodable { var knocks: [KnockSummary] }
struct ContactList: Encodable { var contacts: [ContactSummary] }
