/// Why the Ratchet refused an input. Crosses the module boundary, so it is a struct with a stable code (rule 8).
///
/// Every failure of `decrypt` leaves the session exactly as it was, whatever the code.
public struct RatchetError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The envelope or one of its fields could not be decoded (truncated, oversize, garbage, bad version).
        case malformed
        /// A plaintext or ciphertext exceeds `RatchetLimits.maximumPlaintextByteCount`.
        case oversize
        /// No header key of this session opens the header: not ours, corrupted, or from a lost session.
        case headerNotDecryptable = "header-not-decryptable"
        /// The header opened but the body did not authenticate (a flipped bit, a wrong key).
        case authenticationFailed = "authentication-failed"
        /// The message number was already used in this chain and its key is gone: a duplicate or a replay.
        case duplicate
        /// Honouring the header would mean deriving more than MAX_SKIP message keys.
        case tooManySkipped = "too-many-skipped"
        /// A prekey bundle whose signed-prekey signature does not verify under the identity key.
        case invalidPrekeySignature = "invalid-prekey-signature"
        /// A public key that is not a valid point, or a DH result of small order.
        case invalidKey = "invalid-key"
        /// The initial message names a signed or one-time prekey this agent no longer has (used or rotated away).
        case unknownPrekey = "unknown-prekey"
        /// A stored session could not be decoded.
        case corruptState = "corrupt-state"
        /// The session cannot send yet (a responder before its first received message).
        case cannotSend = "cannot-send"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "ratchet \(code.rawValue): \(reason)" }
}
