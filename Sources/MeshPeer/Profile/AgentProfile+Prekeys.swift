import Kademlia
import MeshCore
import Ratchet
import RelayFallback

/// First contact without one-time prekeys (decision 0071): the record carries the signed prekey alone, which
/// rotates on a schedule; the previous one stays usable for longer than any stale copy of a record can bring a
/// first message in.
extension AgentProfile {
    /// The longest a first message can take to reach us after its sender read our record: the record lived at
    /// most a DHT record's maximum lifetime, and a relay stores the message at most its maximum TTL.
    public static let firstMessageWindow: Duration =
        KademliaConfig().maximumRecordLifetime + .seconds(Int64(RelayLimits().maximumTTLSeconds))

    /// Rotate the signed prekey every 9 days and keep the previous one for 9 more. The grace covers
    /// `firstMessageWindow` (7 days 2 hours) with about two days to spare for a sender's outbox and clock skew,
    /// and equals the rotation interval because `PrekeySecrets` keeps one previous key (the next rotation
    /// replaces it). No one-time prekeys are made.
    public static let recordPrekeySchedule = PrekeySchedule(
        rotationInterval: .seconds(9 * 24 * 3_600),
        previousKeyGrace: .seconds(9 * 24 * 3_600),
        oneTimePrekeyBatch: 0
    )

    /// The bundle a record carries: the identity key and the current signed prekey with its signature, and no
    /// one-time prekeys (they would be reused by concurrent senders, and 20 of them do not fit the record).
    public static func recordBundle(from secrets: PrekeySecrets, identity: AgentIdentity) -> PrekeyBundle {
        let full = secrets.bundle(identity: identity)
        return PrekeyBundle(
            identityKey: full.identityKey,
            signedPrekey: full.signedPrekey,
            signedPrekeySignature: full.signedPrekeySignature,
            oneTimePrekeys: []
        )
    }
}
