/// Why a card's A2A signature (A2A §8.4: a JWS over the RFC 8785 form of the card) was refused. Every refusal has
/// a code a program can switch on and a reason a person can read; nothing an attacker sends makes it trap.
public struct CardSignatureError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The card has no `signatures`, or none that names the expected DID.
        case missing = "missing-signature"
        /// An entry is not an AgentCardSignature, or its JWS parts do not decode (base64url, header JSON).
        case malformedJWS = "malformed-jws"
        /// The protected header names an algorithm other than `EdDSA`, or marks an extension critical.
        case wrongAlgorithm = "wrong-alg"
        /// The `kid` names another DID than the one the card is checked against.
        case kidMismatch = "kid-names-another-did"
        /// The signature does not verify over the card's canonical form.
        case signatureMismatch = "signature-mismatch"
        /// The signature verifies, but over another serialisation of the card than RFC 8785 (JCS).
        case canonicalFormMismatch = "canonical-form-mismatch"
        /// The card, a header or the number of signatures is over its limit.
        case tooLarge = "too-large"
        /// The card is not JSON this verifier accepts (duplicate keys, too deep, a number JCS cannot write).
        case malformedCard = "malformed-card"
        /// The DID to check against is not a did:key naming an Ed25519 key.
        case invalidDID = "invalid-did"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "card signature refused (\(code.rawValue)): \(reason)" }
}
