import MeshCore
import Ratchet
import RelayFallback

/// The layers a message crosses on its way out, and what each adds at most:
///
/// ```
/// AgentMessage body ≤ AgentMessage.maximumBodyBytes
///   + SessionPayload header and AgentMessage fields   (messagePayloadOverhead)
///   = ratchet plaintext ≤ maximumSessionPayloadByteCount (≤ RatchetLimits' plaintext limit)
///   + RatchetEnvelope with its X3DH header            (ratchetEnvelopeOverhead: no padding, a 16-byte tag)
///   + MeshEnvelope header and the sender's key        (meshEnvelopeSessionOverhead)
///   = one relay envelope ≤ RelayFallbackModule.maximumEnvelopeByteCount
/// ```
/// A test encrypts the largest allowed message with real sessions and checks every layer.
public enum MessageBudget {
    /// The largest relay envelope, which one `MeshEnvelope` fills at most.
    public static let relayEnvelopeByteCount = RelayFallbackModule.maximumEnvelopeByteCount
    /// Version, kind and the sender's key ahead of the ratchet envelope.
    public static let meshEnvelopeSessionOverhead = MeshEnvelope.headerByteCount + SessionFrame.overheadByteCount
    /// version ‖ kind ‖ X3DH header (IK 32, EK 32, SPK 32, has-OPK 1, OPK 32) ‖ header length ‖ encrypted header
    /// ‖ ciphertext length (u32) ‖ the AEAD tag. The ratchet does not pad.
    public static let ratchetEnvelopeOverhead =
        2 + (Ed25519.publicKeyByteCount + 3 * X25519.keyByteCount + 1) + 1 + RatchetMessage.encryptedHeaderByteCount
        + 4 + XChaCha20Poly1305.tagByteCount
    /// The session payload's header and every `AgentMessage` field but the body.
    public static let messagePayloadOverhead = SessionPayload.headerByteCount + AgentMessage.maximumFixedByteCount
    /// The most the ratchet may be asked to seal in one session frame.
    public static let maximumSessionPayloadByteCount = min(
        relayEnvelopeByteCount - meshEnvelopeSessionOverhead - ratchetEnvelopeOverhead,
        RatchetLimits.absoluteMaximumPlaintextByteCount
    )
}
