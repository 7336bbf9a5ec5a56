import Foundation
import Kademlia
import MeshCore
import MeshPeer
import Testing

/// Signing and verifying A2A card signatures, and every refusal a bad card earns, by code.
@Suite struct CardSignatureTests {
    let alice = ProfileFixture.identity(1)
    let mallory = ProfileFixture.identity(2)

    func ownerCard() throws -> JSONValue {
        try StrictJSON.parse(Array(ProfileFixture.ownerCardJSON.utf8), maximumBytes: 1 << 16)
    }

    func refusal(_ card: JSONValue, did: String? = nil) -> CardSignatureError.Code? {
        do {
            try AgentCardSignature.verify(card: card, did: did ?? alice.did)
            return nil
        } catch {
            return error.code
        }
    }

    /// The card with its one signature's entry replaced by `edit(entry)`.
    func editing(_ card: JSONValue, _ edit: (inout [String: JSONValue]) -> Void) -> JSONValue {
        guard case .object(var members) = card, case .array(let list) = members["signatures"],
            case .object(var entry) = list[0]
        else { return card }
        edit(&entry)
        members["signatures"] = .array([.object(entry)])
        return .object(members)
    }

    func header(_ entry: [String: JSONValue]) throws -> [String: JSONValue] {
        let protected = try #require(entry["protected"]?.stringValue)
        let bytes = try #require(Base64URL.decode(protected))
        return try #require(try StrictJSON.parse(bytes, maximumBytes: 1024).objectValue)
    }

    @Test func aSignedCardVerifiesUnderItsDIDAndNoOther() throws {
        let signed = try AgentCardSignature.sign(card: try ownerCard(), identity: alice)
        try AgentCardSignature.verify(card: signed, did: alice.did)
        let entry = try #require(signed["signatures"]?.arrayValue?.first?.objectValue)
        #expect(Set(entry.keys) == ["protected", "signature"])
        let fields = try header(entry)
        #expect(fields["alg"] == .string("EdDSA"))
        #expect(fields["typ"] == .string("JOSE"))
        #expect(fields["kid"] == .string(alice.did + "#" + alice.did.dropFirst("did:key:".count)))
        #expect(refusal(signed, did: mallory.did) == .kidMismatch)
        // The bytes round-trip through the strict reader and still verify.
        let bytes = try JCS.canonicalize(signed)
        #expect(try AgentCardSignature.verify(cardBytes: bytes, did: alice.did) == signed)
    }

    @Test func signingDropsDefaultValuesSoEveryReaderSeesTheSameBytes() throws {
        let signed = try AgentCardSignature.sign(card: try ownerCard(), identity: alice)
        // The owner card's `required: false` and its empty-scope security requirement are default values.
        let extensions = try #require(signed["capabilities"]?["extensions"]?.arrayValue)
        #expect(extensions.allSatisfy { $0["required"] == nil })
        #expect(signed["securityRequirements"] == nil)
        // Adding default values back does not change what the signature covers.
        guard case .object(var members) = signed else { return }
        members["securityRequirements"] = .array([.object(["schemes": .object([:])])])
        if case .object(var capabilities) = members["capabilities"],
            var extensions = capabilities["extensions"]?.arrayValue,
            case .object(var first) = extensions[0]
        {
            first["required"] = .bool(false)
            extensions[0] = .object(first)
            capabilities["extensions"] = .array(extensions)
            members["capabilities"] = .object(capabilities)
        }
        try AgentCardSignature.verify(card: .object(members), did: alice.did)
    }

    @Test func aForgedOrAlteredCardIsRefused() throws {
        let signed = try AgentCardSignature.sign(card: try ownerCard(), identity: alice)
        guard case .object(var members) = signed else { return }
        members["name"] = .string("Lexis Legal Translator (official)")
        #expect(refusal(.object(members)) == .signatureMismatch)
        // Mallory signs a card and names Alice's key in the kid: the signature does not verify under Alice's key.
        let forged = editing(try AgentCardSignature.sign(card: try ownerCard(), identity: mallory)) { entry in
            let header: JSONValue = .object([
                "alg": .string("EdDSA"), "typ": .string("JOSE"),
                "kid": .string(AgentCardSignature.verificationMethod(did: alice.did)),
            ])
            entry["protected"] = .string(Base64URL.encode((try? JCS.canonicalize(header)) ?? []))
        }
        #expect(refusal(forged) == .signatureMismatch)
        // Mallory's own signature names Mallory: refused for Alice's DID.
        #expect(refusal(try AgentCardSignature.sign(card: try ownerCard(), identity: mallory)) == .kidMismatch)
        // Another signature byte flipped.
        let flipped = editing(signed) { entry in
            var bytes = Base64URL.decode(entry["signature"]?.stringValue ?? "") ?? []
            bytes[10] ^= 1
            entry["signature"] = .string(Base64URL.encode(bytes))
        }
        #expect(refusal(flipped) == .signatureMismatch)
    }

    @Test func aSignatureOverAnotherSerialisationIsNamedAsSuch() throws {
        var card = try ownerCard().objectValue ?? [:]
        card = CardPayload.withoutDefaults(.object(card)).objectValue ?? [:]
        // The signer used a plain sorted-keys JSON encoder instead of RFC 8785.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = Array(try encoder.encode(JSONValue.object(card)))
        #expect(payload != (try CardPayload.canonicalBytes(of: .object(card))), "the two forms differ")
        let header: JSONValue = .object([
            "alg": .string("EdDSA"), "kid": .string(AgentCardSignature.verificationMethod(did: alice.did)),
        ])
        let protected = Base64URL.encode(try JCS.canonicalize(header))
        let signature = alice.signingKey.signature(forRaw: Array((protected + "." + Base64URL.encode(payload)).utf8))
        card["signatures"] = .array([
            AgentCardSignature(protected: protected, signature: Base64URL.encode(signature.rawRepresentation)).json
        ])
        #expect(refusal(.object(card)) == .canonicalFormMismatch)
    }

    @Test func malformedJWSEntriesAreRefusedByName() throws {
        let signed = try AgentCardSignature.sign(card: try ownerCard(), identity: alice)
        let cases: [(String, ([String: JSONValue]) -> [String: JSONValue], CardSignatureError.Code)] = [
            (
                "protected not base64url",
                {
                    var e = $0
                    e["protected"] = .string("e30+")
                    return e
                }, .malformedJWS
            ),
            (
                "protected not JSON",
                {
                    var e = $0
                    e["protected"] = .string(Base64URL.encode(Array("{".utf8)))
                    return e
                }, .malformedJWS
            ),
            (
                "protected a list",
                {
                    var e = $0
                    e["protected"] = .string(Base64URL.encode(Array("[]".utf8)))
                    return e
                }, .malformedJWS
            ),
            (
                "no signature",
                {
                    var e = $0
                    e["signature"] = nil
                    return e
                }, .malformedJWS
            ),
            (
                "short signature",
                {
                    var e = $0
                    e["signature"] = .string("AAAA")
                    return e
                }, .malformedJWS
            ),
            (
                "signature a number",
                {
                    var e = $0
                    e["signature"] = .number(1)
                    return e
                }, .malformedJWS
            ),
            (
                "unknown member",
                {
                    var e = $0
                    e["payload"] = .string("x")
                    return e
                }, .malformedJWS
            ),
            (
                "header repeats kid",
                {
                    var e = $0
                    e["header"] = .object(["kid": .string("x")])
                    return e
                }, .malformedJWS
            ),
            (
                "header not an object",
                {
                    var e = $0
                    e["header"] = .string("x")
                    return e
                }, .malformedJWS
            ),
            (
                "oversized protected",
                {
                    var e = $0
                    e["protected"] = .string(String(repeating: "A", count: 2_000))
                    return e
                }, .tooLarge
            ),
        ]
        for (name, edit, code) in cases {
            #expect(refusal(editing(signed) { $0 = edit($0) }) == code, "\(name)")
        }
        // The entry itself is not an object, and `signatures` is not a list.
        guard case .object(var members) = signed else { return }
        members["signatures"] = .array([.string("eyJ")])
        #expect(refusal(.object(members)) == .malformedJWS)
        members["signatures"] = .string("eyJ")
        #expect(refusal(.object(members)) == .malformedJWS)
        members["signatures"] = .array([])
        #expect(refusal(.object(members)) == .missing)
        members["signatures"] = nil
        #expect(refusal(.object(members)) == .missing)
        #expect(refusal(.array([])) == .malformedCard)
        #expect(refusal(signed, did: "did:key:zNotAKey") == .invalidDID)
    }

    @Test func wrongAlgorithmsAndCriticalExtensionsAreRefused() throws {
        let signed = try AgentCardSignature.sign(card: try ownerCard(), identity: alice)
        let kid = JSONValue.string(AgentCardSignature.verificationMethod(did: alice.did))
        for header: JSONValue in [
            .object(["alg": .string("none"), "kid": kid]), .object(["alg": .string("HS256"), "kid": kid]),
            .object(["kid": kid]), .object(["alg": .string("EdDSA"), "kid": kid, "crit": .array([.string("b64")])]),
        ] {
            let edited = editing(signed) { entry in
                entry["protected"] = .string(Base64URL.encode((try? JCS.canonicalize(header)) ?? []))
            }
            #expect(refusal(edited) == .wrongAlgorithm, "\(header)")
        }
        let duplicate = Base64URL.encode(Array(#"{"alg":"EdDSA","alg":"none","kid":"x"}"#.utf8))
        #expect(refusal(editing(signed) { $0["protected"] = .string(duplicate) }) == .malformedJWS)
    }

    @Test func sizesAndCountsAreBounded() throws {
        let signed = try AgentCardSignature.sign(card: try ownerCard(), identity: alice)
        guard case .object(var members) = signed, let entry = members["signatures"]?.arrayValue?.first else { return }
        members["signatures"] = .array(Array(repeating: entry, count: AgentCardSignature.maximumSignatures + 1))
        #expect(refusal(.object(members)) == .tooLarge)
        // A countersignature by another key next to Alice's is passed over.
        let other = try #require(
            try AgentCardSignature.sign(card: signed, identity: mallory)["signatures"]?.arrayValue?.first
        )
        members["signatures"] = .array([other, entry])
        try AgentCardSignature.verify(card: .object(members), did: alice.did)
        let huge = Array(repeating: UInt8(ascii: " "), count: AgentCardSignature.maximumCardBytes + 1)
        #expect(throws: CardSignatureError.self) { try AgentCardSignature.verify(cardBytes: huge, did: alice.did) }
        let duplicated = Array(#"{"name":"a","name":"b","signatures":[]}"#.utf8)
        let error = #expect(throws: CardSignatureError.self) {
            try AgentCardSignature.verify(cardBytes: duplicated, did: alice.did)
        }
        #expect(error?.code == .malformedCard)
    }

    @Test func theRecordCarriesASignedCompactCardThatFits() throws {
        let owner = try ProfileFixture.ownerCard()
        let bytes = try AgentProfile.signedCompactCard(owner, identity: alice)
        #expect(bytes.count <= AgentRecord.maximumCardBytes)
        let card = try AgentCardSignature.verify(cardBytes: bytes, did: alice.did)
        #expect(try JCS.canonicalize(card) == bytes, "the record carries canonical JSON")
        #expect(try CardFile.parse(bytes).name == owner.name)
        // The reserve is exact: the signed card is the unsigned canonical card plus that many bytes.
        var unsigned = card.objectValue ?? [:]
        unsigned["signatures"] = nil
        #expect(
            bytes.count == (try JCS.canonicalize(.object(unsigned))).count
                + AgentCardSignature.reservedBytes(did: alice.did)
        )
        let defaultCard = AgentCard.defaultCard(name: "node-7", did: alice.did)
        #expect(
            (try AgentProfile.signedCompactCard(defaultCard, identity: alice)).count <= AgentRecord.maximumCardBytes
        )
    }
}
