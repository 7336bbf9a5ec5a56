/// What the owner's dashboard shows beyond the agent API's own answers: conversations as metadata (who, when,
/// how many, never a body) and messages per hour by path. The node derives it from its database; a node that
/// cannot (the HTTP layer's test double) keeps the default, and the dashboard says the panel is not available.
public struct DashboardFacts: Hashable, Sendable, Codable {
    public var conversations: [ConversationSummary]
    /// One bucket per hour, oldest first, ending with the current hour.
    public var hourly: [HourlyTraffic]
    /// Messages this node still remembers (sent in its outbox's retention, received in its inbox).
    public var messagesSent: Int
    public var messagesReceived: Int
    /// Incoming knocks by outcome, over the knocks the node keeps.
    public var knocksAccepted: Int
    public var knocksRejected: Int
    public var knocksHeld: Int

    public init(
        conversations: [ConversationSummary],
        hourly: [HourlyTraffic],
        messagesSent: Int,
        messagesReceived: Int,
        knocksAccepted: Int,
        knocksRejected: Int,
        knocksHeld: Int
    ) {
        self.conversations = conversations
        self.hourly = hourly
        self.messagesSent = messagesSent
        self.messagesReceived = messagesReceived
        self.knocksAccepted = knocksAccepted
        self.knocksRejected = knocksRejected
        self.knocksHeld = knocksHeld
    }
}

/// One peer's conversation, as metadata only.
public struct ConversationSummary: Hashable, Sendable, Codable {
    public var peer: String
    public var name: String?
    public var sent: Int
    public var received: Int
    public var lastIntent: String?
    public var lastAt: String?

    public init(peer: String, name: String?, sent: Int, received: Int, lastIntent: String?, lastAt: String?) {
        self.peer = peer
        self.name = name
        self.sent = sent
        self.received = received
        self.lastIntent = lastIntent
        self.lastAt = lastAt
    }
}

/// Messages (sent and received) in one hour, by the path they took.
public struct HourlyTraffic: Hashable, Sendable, Codable {
    /// The hour's start, RFC 3339 UTC.
    public var hour: String
    public var relayed: Int
    public var direct: Int

    public init(hour: String, relayed: Int, direct: Int) {
        self.hour = hour
        self.relayed = relayed
        self.direct = direct
    }
}

extension NodeControl {
    /// The default for a node that keeps no such history: the dashboard shows the panels as not available.
    public func dashboardFacts() async throws(NodeAPIError) -> DashboardFacts {
        throw NodeAPIError(.unavailable, "this node does not report conversations or traffic by hour")
    }
}
