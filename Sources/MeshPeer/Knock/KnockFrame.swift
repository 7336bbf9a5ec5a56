import MeshCore
import Ratchet

/// A first-contact request: in clear but signed, carrying the X3DH initial message that seals its purpose.
///
/// Wire form (the body of `MeshEnvelope.knock`):
/// ```
/// knockID (16) ‖ sender (32) ‖ recipient (32) ‖ token (8) ‖ issuedAt (i64 ms) ‖ intent (u8 len ‖ ≤ 64)
/// ‖ sealed (RatchetEnvelope, initial kind, ≤ 2,048 bytes) ‖ proofOfWork (u64) ‖ signature (64)
/// ```
/// The signature covers every byte before it (under `meshpeer/v1/knock`); the proof of work covers every byte
/// before the nonce (see `KnockWork`).
public struct KnockFrame: Hashable, Sendable {
    public static let maximumIntentByteCount = 64
    /// The sealed `SessionPayload.knock` with its X3DH header: a largest `KnockBody` (owner credentials included,
    /// decision 0093) seals to less than this.
    public static let maximumSealedByteCount = 2_304
    /// Every field but `sealed`.
    public static let fixedByteCount =
        MessageID.byteCount + 2 * Ed25519.publicKeyByteCount + KnockToken.byteCount + 8 + 1 + 8
        + Ed25519.signatureByteCount
    /// The largest knock, wrapped in its `MeshEnvelope`: the first check a receiver makes.
    public static let maximumEnvelopeByteCount = 4_096

    public let knockID: MessageID
    public let sender: Ed25519.PublicKey
    public let recipient: Ed25519.PublicKey
    public let token: KnockToken
    /// Whole milliseconds (what the wire carries).
    public let issuedAt: Timestamp
    public let intent: String
    public let proofOfWork: UInt64
    public let sealed: RatchetEnvelope
    public let signature: Ed25519.Signature

    /// A frame as given, unchecked (decoding and `make` are the usual ways to get one).
    public init(
        knockID: MessageID,
        sender: Ed25519.PublicKey,
        recipient: Ed25519.PublicKey,
        token: KnockToken,
        issuedAt: Timestamp,
        intent: String,
        proofOfWork: UInt64,
        sealed: RatchetEnvelope,
        signature: Ed25519.Signature
    ) {
        self.knockID = knockID
        self.sender = sender
        self.recipient = recipient
        self.token = token
        self.issuedAt = issuedAt.wholeMilliseconds
        self.intent = intent
        self.proofOfWork = proofOfWork
        self.sealed = sealed
        self.signature = signature
    }

    /// Builds, solves and signs a knock. `difficulty` is clamped to `KnockWork.maximumDifficulty`; `intent` must be
    /// a valid intent name (`Intent.validateName`) and `sealed` an initial X3DH envelope from `identity` (both are
    /// the caller's to check; a violation is a programming error and traps).
    public static func make<R: RandomSource>(
        identity: AgentIdentity,
        recipient: Ed25519.PublicKey,
        token: KnockToken,
        intent: String,
        sealed: RatchetEnvelope,
        issuedAt: Timestamp,
        difficulty: UInt8,
        random: inout R
    ) -> KnockFrame {
        precondition((try? Intent.validateName(intent)) != nil, "invalid knock intent \(intent)")
        precondition(sealed.initialHeader?.identityKey == identity.publicKey, "a knock seals an X3DH initial message")
        let knockID = MessageID.random(using: &random)
        let unsolved = KnockFrame(
            knockID: knockID,
            sender: identity.publicKey,
            recipient: recipient,
            token: token,
            issuedAt: issuedAt,
            intent: intent,
            proofOfWork: 0,
            sealed: sealed,
            signature: KnockFrame.placeholderSignature
        )
        let nonce = KnockWork.solve(
            digest: KnockWork.digest(unsolved.workBytes),
            difficulty: difficulty,
            start: random.next()
        )
        let solved = unsolved.with(proofOfWork: nonce, signature: KnockFrame.placeholderSignature)
        return solved.with(proofOfWork: nonce, signature: identity.sign(solved.signedBytes, domain: .knock))
    }

    public func verifySignature() -> Bool {
        sender.isValidSignature(signature, for: signedBytes, domain: .knock)
    }

    public func meetsWork(_ difficulty: UInt8) -> Bool {
        KnockWork.meets(digest: KnockWork.digest(workBytes), nonce: proofOfWork, difficulty: difficulty)
    }

    /// Every field before the signature: what the signature covers.
    var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: 256 + sealed.message.ciphertext.count)
        encodeSigned(to: &writer)
        return writer.bytes
    }

    /// Every field before the nonce: what the proof of work covers.
    var workBytes: [UInt8] {
        var writer = WireWriter(capacity: 256 + sealed.message.ciphertext.count)
        encodeWork(to: &writer)
        return writer.bytes
    }

    private func with(proofOfWork: UInt64, signature: Ed25519.Signature) -> KnockFrame {
        KnockFrame(
            knockID: knockID,
            sender: sender,
            recipient: recipient,
            token: token,
            issuedAt: issuedAt,
            intent: intent,
            proofOfWork: proofOfWork,
            sealed: sealed,
            signature: signature
        )
    }

    // A well-formed but meaningless signature for the frame before it is signed.
    private static let placeholderSignature = try! Ed25519.Signature(
        rawRepresentation: [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
    )
}
