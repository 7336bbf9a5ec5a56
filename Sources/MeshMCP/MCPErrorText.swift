import MeshPeer

/// What a tool error says for each of the node's refusals: the node's own message, and what to do next.
enum MCPErrorText {
    static func describe(_ error: NodeAPIError, home: String) -> String {
        let message = error.message
        switch error.code {
        case .unavailable where message.contains("meshpeer run"):
            return "No MeshPeer node: \(message). Ask the owner to start it."
        case .unavailable:
            return "The node cannot do this now (\(message)). Try again in a minute; if it persists, tell the user."
        case .unauthorized:
            return "The node did not accept the token in \(home)/api-token (\(message)). Tell the owner."
        case .forbidden:
            return "Refused: \(message). If the agent is not a contact, knock first (and wait for acceptance). If "
                + "the owner's policy or the circuit breaker forbids it, stop sending and tell the user; do not retry."
        case .rateLimited:
            return "Rate limited: \(message). Stop for now and tell the user; do not retry in a loop."
        case .conflict:
            return "Conflict: \(message). A knock that is pending must be answered first (see list_knocks); a decided "
                + "knock cannot be decided again."
        case .notFound:
            return "Not found: \(message). Check the DID or id (find_agents, list_knocks, read_messages)."
        case .badRequest:
            return "Bad request: \(message)."
        case .tooLarge:
            return "Too large: \(message). Send less in one message."
        case .timeout:
            return "Timed out: \(message). The agent may be offline; try again later."
        }
    }
}
