import MeshCore

/// The private half of an agent's prekeys: the signed prekey (and the one it replaced, for a grace period) and
/// the unused one-time prekeys.
///
/// A one-time prekey is removed the moment a session that used it is accepted, so it is used at most once.
/// A pure value: the caller persists it (RatchetStore) after every change.
public struct PrekeySecrets: Sendable {
    public private(set) var signedPrekey: SignedPrekey
    public private(set) var previousSignedPrekey: SignedPrekey?
    public private(set) var oneTimePrekeys: [X25519.PrivateKey]
    public var schedule: PrekeySchedule

    public init<R: RandomSource>(
        identity: AgentIdentity,
        schedule: PrekeySchedule = PrekeySchedule(),
        now: Timestamp,
        random: inout R
    ) {
        self.schedule = schedule
        signedPrekey = SignedPrekey.generate(identity: identity, now: now, random: &random)
        previousSignedPrekey = nil
        oneTimePrekeys = []
        replenish(random: &random)
    }

    init(
        signedPrekey: SignedPrekey,
        previousSignedPrekey: SignedPrekey?,
        oneTimePrekeys: [X25519.PrivateKey],
        schedule: PrekeySchedule
    ) {
        self.signedPrekey = signedPrekey
        self.previousSignedPrekey = previousSignedPrekey
        self.oneTimePrekeys = oneTimePrekeys
        self.schedule = schedule
    }

    /// The bundle to publish. Publish again after `rotateIfDue`, `replenish` or an accepted session.
    public func bundle(identity: AgentIdentity) -> PrekeyBundle {
        PrekeyBundle(
            identityKey: identity.publicKey,
            signedPrekey: signedPrekey.publicKey,
            signedPrekeySignature: signedPrekey.signature,
            oneTimePrekeys: oneTimePrekeys.map(\.publicKey)
        )
    }

    /// Rotates the signed prekey when it is older than the schedule says, and forgets the previous one after its
    /// grace period. Returns true when the bundle changed.
    @discardableResult
    public mutating func rotateIfDue<R: RandomSource>(
        identity: AgentIdentity,
        now: Timestamp,
        random: inout R
    ) -> Bool {
        if previousSignedPrekey != nil, now - signedPrekey.createdAt >= schedule.previousKeyGrace {
            previousSignedPrekey = nil
        }
        guard now - signedPrekey.createdAt >= schedule.rotationInterval else { return false }
        previousSignedPrekey = signedPrekey
        signedPrekey = SignedPrekey.generate(identity: identity, now: now, random: &random)
        return true
    }

    /// Tops the one-time prekeys up to the batch size. Returns how many were made.
    @discardableResult
    public mutating func replenish<R: RandomSource>(random: inout R) -> Int {
        let missing = max(schedule.oneTimePrekeyBatch - oneTimePrekeys.count, 0)
        for _ in 0..<missing { oneTimePrekeys.append(X25519.PrivateKey(using: &random)) }
        return missing
    }

    /// The private signed prekey whose public half is `key`: the current one or, within its grace, the previous.
    public func signedPrekey(matching key: X25519.PublicKey) -> X25519.PrivateKey? {
        if signedPrekey.publicKey == key { return signedPrekey.privateKey }
        if let previous = previousSignedPrekey, previous.publicKey == key { return previous.privateKey }
        return nil
    }

    public func oneTimePrekey(matching key: X25519.PublicKey) -> X25519.PrivateKey? {
        oneTimePrekeys.first { $0.publicKey == key }
    }

    /// Deletes a one-time prekey once a session that used it has been accepted.
    public mutating func consumeOneTimePrekey(_ key: X25519.PublicKey) {
        oneTimePrekeys.removeAll { $0.publicKey == key }
    }
}
