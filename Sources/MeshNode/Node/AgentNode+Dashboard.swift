import Foundation
import GRDB
import MeshCore
import MeshPeer

/// The owner's dashboard reads conversations and traffic from the tables the node already keeps: the outbox
/// (messages sent, kept until settled and then for its retention) and the inbox (messages received). Only
/// metadata leaves this file: peers, counts, intents and times, never a body.
extension AgentNode {
    /// Conversations shown at most (the most recently active first).
    static let dashboardConversationLimit = 50
    /// Hours of traffic in the plot.
    static let dashboardHours = 24

    public func dashboardFacts() async throws(NodeAPIError) -> DashboardFacts {
        let now = self.now
        return try await read { db in try AgentNode.dashboardFacts(now: now, db) }
    }

    static func dashboardFacts(now: Timestamp, _ db: Database) throws -> DashboardFacts {
        let hourMs: Int64 = 3_600_000
        let currentHour = now.millisecondsSinceEpoch / hourMs
        let firstHour = currentHour - Int64(dashboardHours - 1)
        // Messages sent and received per hour and path, from the audit log, which records the path of every one
        // (the path a message was sent on is the conversation's when it was stored; a received one's is the path
        // that brought it).
        var relayed = [Int64: Int]()
        var direct = [Int64: Int]()
        let perHour = """
            SELECT at_ms / \(hourMs) AS h, path, COUNT(*) FROM node_audit
                WHERE kind IN ('message.sent', 'message.received') AND at_ms >= ? GROUP BY h, path
            """
        for row in try Row.fetchAll(db, sql: perHour, arguments: [firstHour * hourMs]) {
            let hour = row[0] as Int64
            if (row[1] as String?) == "direct" {
                direct[hour, default: 0] += row[2] as Int
            } else {
                relayed[hour, default: 0] += row[2] as Int
            }
        }
        let hourly = (firstHour...currentHour).map { hour in
            HourlyTraffic(
                hour: APITime.format(Timestamp(milliseconds: hour * hourMs)),
                relayed: relayed[hour] ?? 0,
                direct: direct[hour] ?? 0
            )
        }
        var knocks = [String: Int]()
        for row in try Row.fetchAll(
            db,
            sql: "SELECT state, COUNT(*) FROM node_knocks WHERE direction = 'incoming' GROUP BY state"
        ) {
            knocks[row[0] as String] = row[1] as Int
        }
        return DashboardFacts(
            conversations: try conversations(db),
            hourly: hourly,
            messagesSent: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM node_outbox WHERE kind = 'message'") ?? 0,
            messagesReceived: try InboxStore.count(db),
            knocksAccepted: knocks["accepted"] ?? 0,
            knocksRejected: knocks["rejected"] ?? 0,
            knocksHeld: (knocks["held"] ?? 0) + (knocks["pending"] ?? 0)
        )
    }

    private static func conversations(_ db: Database) throws -> [ConversationSummary] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT peer, SUM(sent), SUM(received), MAX(at) AS last FROM (
                    SELECT peer, 1 AS sent, 0 AS received, created_ms AS at FROM node_outbox WHERE kind = 'message'
                    UNION ALL
                    SELECT sender AS peer, 0, 1, received_ms FROM node_inbox
                ) GROUP BY peer ORDER BY last DESC LIMIT ?
                """,
            arguments: [dashboardConversationLimit]
        )
        return try rows.map { row in
            let peer: String = row[0]
            let last: Int64 = row[3]
            let intent = try String.fetchOne(
                db,
                sql: """
                    SELECT intent FROM (
                        SELECT intent, created_ms AS at FROM node_outbox WHERE kind = 'message' AND peer = ?
                        UNION ALL
                        SELECT intent, received_ms FROM node_inbox WHERE sender = ?
                    ) ORDER BY at DESC LIMIT 1
                    """,
                arguments: [peer, peer]
            )
            return ConversationSummary(
                peer: peer,
                name: try ContactStore.contact(did: peer, db)?.name,
                sent: row[1],
                received: row[2],
                lastIntent: intent,
                lastAt: APITime.format(Timestamp(milliseconds: last))
            )
        }
    }
}
