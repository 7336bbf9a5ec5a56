import GRDB
import MeshCore
import MeshPeer

extension NodeLedger {
    /// A `task.response` to a `capability.query` this node sent carries the peer's full card: its A2A signature
    /// must verify under the peer's DID (decision 0080), or the answer is refused as an invalid message, with the
    /// reason, and never reaches the agent. Other messages pass untouched.
    static func checkCardAnswer(_ message: AgentMessage, body: JSONValue, from did: String, _ db: Database) throws {
        guard message.intent == Intent.taskResponse, let query = message.inReplyTo,
            let sent = try OutboxStore.entry(id: query, db), sent.intent == Intent.capabilityQuery, sent.peer == did,
            let card = body["output"], body["status"] == .string("ok")
        else { return }
        try AgentCardSignature.verify(card: card, did: did)
    }
}
