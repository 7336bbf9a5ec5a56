import Foundation
import MeshCore

/// Checking a card's A2A signature against a DID: the function every reader of a card calls (discovery, the
/// indexer, `capability.query` answers, `meshpeer card verify`).
extension AgentCardSignature {
    /// Succeeds when one entry of the card's `signatures` names `did`'s verification method in its `kid`, uses
    /// `EdDSA`, and verifies under the DID's key over the card's canonical form. Entries naming other keys are
    /// passed over (a registry may countersign); a card with none naming `did` is refused, as is one with more
    /// than `maximumSignatures` entries. The refusal is the most telling one met: a wrong key or algorithm, a
    /// signature over another serialisation of the card, or a plain mismatch.
    public static func verify(card: JSONValue, did: String) throws(CardSignatureError) {
        let key: Ed25519.PublicKey
        do {
            key = try DIDKey.decode(did)
        } catch {
            throw CardSignatureError(.invalidDID, "\(did) is not an Ed25519 did:key")
        }
        try verify(card: card, did: did, key: key)
    }

    /// The same check with `did`'s key already decoded (and validated as a point) by the caller, which must have
    /// taken it from `did` itself: an agent record's validator did (`ValidatedRecord.signer`). Decoding a did:key
    /// validates the curve point, which costs about as much as verifying a signature.
    public static func verify(card: JSONValue, did: String, key: Ed25519.PublicKey) throws(CardSignatureError) {
        guard case .object(let members) = card else {
            throw CardSignatureError(.malformedCard, "a card is a JSON object")
        }
        guard let list = members["signatures"], list != .null else {
            throw CardSignatureError(.missing, "the card has no signatures; it is not bound to \(did)")
        }
        guard case .array(let entries) = list else {
            throw CardSignatureError(.malformedJWS, "signatures is not a list")
        }
        guard !entries.isEmpty else {
            throw CardSignatureError(.missing, "the card's signatures list is empty; it is not bound to \(did)")
        }
        guard entries.count <= maximumSignatures else {
            throw CardSignatureError(.tooLarge, "\(entries.count) signatures; at most \(maximumSignatures)")
        }
        let payload = try CardPayload.canonicalBytes(of: card)
        let encodedPayload = Base64URL.encode(payload)
        let method = verificationMethod(did: did)
        var refusal: CardSignatureError?
        for (index, item) in entries.enumerated() {
            do throws(CardSignatureError) {
                let entry = try AgentCardSignature(json: item, index: index)
                let header = try entry.protectedHeader(index: index)
                guard case .string(let kid) = header["kid"] else {
                    throw CardSignatureError(.malformedJWS, "signatures[\(index)]: the protected header has no kid")
                }
                guard kid == method else {
                    throw CardSignatureError(.kidMismatch, "signatures[\(index)] is by \(kid), not \(method)")
                }
                guard header["alg"] == .string(algorithm) else {
                    throw CardSignatureError(
                        .wrongAlgorithm,
                        "signatures[\(index)]: alg is \(header["alg"].map { "\($0)" } ?? "missing"), not EdDSA"
                    )
                }
                guard header["crit"] == nil else {
                    throw CardSignatureError(.wrongAlgorithm, "signatures[\(index)]: crit names extensions not known")
                }
                let signature = try entry.signatureValue(index: index)
                if key.isValidSignature(signature, forRaw: Array((entry.protected + "." + encodedPayload).utf8)) {
                    return
                }
                throw entry.mismatch(card: card, key: key, signature: signature, index: index)
            } catch {
                refusal = moreTelling(refusal, error)
            }
        }
        throw refusal ?? CardSignatureError(.missing, "no signature names \(did)")
    }

    /// Parses `bytes` strictly (`StrictJSON`: no duplicate keys, at most `maximumCardBytes`) and verifies it.
    @discardableResult
    public static func verify(
        cardBytes bytes: [UInt8],
        did: String,
        key: Ed25519.PublicKey? = nil
    ) throws(CardSignatureError) -> JSONValue {
        let card = try StrictJSON.parse(bytes, maximumBytes: maximumCardBytes)
        if let key {
            try verify(card: card, did: did, key: key)
        } else {
            try verify(card: card, did: did)
        }
        return card
    }

    /// A refusal for an entry that names `did` beats one that names another key, which beats none.
    static func moreTelling(_ old: CardSignatureError?, _ new: CardSignatureError) -> CardSignatureError {
        guard let old else { return new }
        let rank: (CardSignatureError.Code) -> Int = { code in
            switch code {
            case .missing: 0
            case .kidMismatch: 1
            case .malformedJWS: 2
            default: 3
            }
        }
        return rank(new.code) > rank(old.code) ? new : old
    }

    init(json: JSONValue, index: Int) throws(CardSignatureError) {
        guard case .object(let members) = json else {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)] is not an object")
        }
        if let unknown = members.keys.sorted().first(where: { !["protected", "signature", "header"].contains($0) }) {
            throw CardSignatureError(
                .malformedJWS,
                "signatures[\(index)].\(unknown) is not an AgentCardSignature field"
            )
        }
        guard case .string(let protected) = members["protected"], case .string(let signature) = members["signature"]
        else {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)] needs protected and signature strings")
        }
        var header: [String: JSONValue]?
        switch members["header"] {
        case nil, .null?: header = nil
        case .object(let fields)?: header = fields
        default: throw CardSignatureError(.malformedJWS, "signatures[\(index)].header is not an object")
        }
        self.init(protected: protected, signature: signature, header: header)
    }

    /// The protected header: canonical base64url of a JSON object with no duplicate names, none of them repeated
    /// in the unprotected header (RFC 7515 §7.2.1).
    func protectedHeader(index: Int) throws(CardSignatureError) -> [String: JSONValue] {
        guard protected.utf8.count <= AgentCardSignature.maximumProtectedBytes else {
            throw CardSignatureError(
                .tooLarge,
                "signatures[\(index)].protected is over \(Self.maximumProtectedBytes) bytes"
            )
        }
        guard let bytes = Base64URL.decode(protected) else {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)].protected is not base64url")
        }
        let header: JSONValue
        do {
            header = try StrictJSON.parse(bytes, maximumBytes: AgentCardSignature.maximumProtectedBytes)
        } catch {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)].protected: \(error.reason)")
        }
        guard case .object(let fields) = header else {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)].protected is not a JSON object")
        }
        if let shared = (self.header ?? [:]).keys.sorted().first(where: { fields[$0] != nil }) {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)]: \(shared) is in both headers")
        }
        return fields
    }

    func signatureValue(index: Int) throws(CardSignatureError) -> Ed25519.Signature {
        guard signature.utf8.count <= 128, let bytes = Base64URL.decode(signature),
            let value = try? Ed25519.Signature(rawRepresentation: bytes)
        else {
            throw CardSignatureError(.malformedJWS, "signatures[\(index)].signature is not 64 base64url bytes")
        }
        return value
    }

    /// Why a signature by the right key does not verify: if it verifies over a serialisation of the card other
    /// than the canonical one (a plain JSON encoder's, or JCS with the default values left in), the signer did
    /// not canonicalise as A2A says; otherwise the card or the signature was altered. Only runs on failure.
    func mismatch(
        card: JSONValue,
        key: Ed25519.PublicKey,
        signature: Ed25519.Signature,
        index: Int
    )
        -> CardSignatureError
    {
        var unsigned = card.objectValue ?? [:]
        unsigned["signatures"] = nil
        var forms: [[UInt8]] = []
        if let plain = try? JCS.canonicalize(.object(unsigned)) { forms.append(plain) }
        for formatting in [JSONEncoder.OutputFormatting.sortedKeys, [.sortedKeys, .withoutEscapingSlashes]] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            if let data = try? encoder.encode(JSONValue.object(unsigned)) { forms.append(Array(data)) }
        }
        for form in forms {
            let input = Array((protected + "." + Base64URL.encode(form)).utf8)
            if key.isValidSignature(signature, forRaw: input) {
                return CardSignatureError(
                    .canonicalFormMismatch,
                    "signatures[\(index)] covers a serialisation of the card that is not its RFC 8785 form"
                )
            }
        }
        return CardSignatureError(
            .signatureMismatch,
            "signatures[\(index)] does not verify: the card or the signature was altered"
        )
    }
}
