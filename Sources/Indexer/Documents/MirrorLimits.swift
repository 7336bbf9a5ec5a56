/// How large the mirror may grow, whoever feeds it (decision 0089). A malicious DHT node can mint keys and answer
/// for each of them from one address, and a card can list many tags; these bounds keep what it earns small.
public struct MirrorLimits: Sendable, Equatable {
    /// Agents in the mirror overall; a new agent beyond it is refused (an update of a known agent is not).
    public var maximumAgents = 1_000_000
    /// Agents whose record was served from one source (an IP address; on loopback, an IP and port).
    public var maximumAgentsPerSource = 64
    /// Tags and capability names indexed per agent; the rest are ignored.
    public var maximumTagsPerAgent = 32
    /// Agents listed under one tag; beyond it the tag is not indexed for new agents (their text still is).
    public var maximumAgentsPerTag = 100_000
    /// Characters of one tag; longer ones are ignored.
    public var maximumTagLength = 64

    public init() {}
}
