import Kademlia
import MeshCore

/// Checks a signed agent record from anyone (an indexer's answer, a benchmark's input) exactly as the DHT does:
/// `AgentRecordValidator` (version, limits, signature under the DID, expiry, lifetime, clock skew). The asker of
/// an indexer runs this on every result, so it never has to trust the indexer.
public enum RecordVerifier {
    public static let limits = RecordLimits(maximumLifetime: .seconds(2 * 60 * 60), maximumClockSkew: .seconds(120))

    public static func verify(agentRecord bytes: [UInt8], now: Timestamp) throws -> ValidatedRecord {
        try AgentRecordValidator().validate(RecordEnvelope(type: .agent, bytes: bytes), now: now, limits: limits)
    }
}
