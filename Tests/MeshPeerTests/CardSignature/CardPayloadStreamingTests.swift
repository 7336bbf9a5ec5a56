import MeshCore
import Testing

@testable import MeshPeer

/// `CardPayload.canonicalBytes` drops A2A's default values while it writes RFC 8785 (decision 0117). A card's
/// signature verifies only if every reader computes the very same bytes, so the one-pass writer is held to the
/// two-pass reference it replaced, `JCS.canonicalize(CardPayload.withoutDefaults(card))`, on trees built to hit
/// what the cleaning and the sort can get wrong: nulls, empty strings, containers empty only once cleaned, nesting
/// at the depth limit, names above U+E000 and outside the BMP, strings that need escapes.
@Suite struct CardPayloadStreamingTests {
    /// The reference: the card without `signatures`, cleaned into a new tree, then canonicalised.
    func reference(_ card: JSONValue) throws(CardSignatureError) -> [UInt8] {
        guard case .object(var members) = card else { throw CardSignatureError(.malformedCard, "not an object") }
        members["signatures"] = nil
        return try JCS.canonicalize(CardPayload.withoutDefaults(.object(members)))
    }

    static let names = [
        "name", "skills", "capabilities", "extensions", "required", "", "a", "b", "\u{7f}", "\u{e9}", "\u{20ac}",
        "\u{e000}", "\u{fb33}", "\u{ffff}", "\u{1F600}", "\u{10FFFF}", "tags", "x\"y", "\n",
    ]
    static let strings = ["", "word", "tab\there", "quote\"", "back\\slash", "\u{0}\u{1f}", "€uro", "\u{1F600}"]

    func randomValue(_ random: inout SeededRandom, depth: Int) -> JSONValue {
        let pick = Int.random(in: 0..<(depth >= 6 ? 5 : 9), using: &random)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .number([0, -0.0, 1.5, 1e21, 4.5e-7, 333333333.33333329][Int.random(in: 0..<6, using: &random)])
        case 3, 4: return .string(Self.strings[Int.random(in: 0..<Self.strings.count, using: &random)])
        case 5, 6:
            return .array(
                (0..<Int.random(in: 0..<4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) }
            )
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &random) {
                members[Self.names[Int.random(in: 0..<Self.names.count, using: &random)]] = randomValue(
                    &random,
                    depth: depth + 1
                )
            }
            return .object(members)
        }
    }

    @Test func theOnePassWriterGivesTheReferenceBytesOnRandomCards() throws {
        var random = SeededRandom(seed: 117)
        var differentFromPlainJCS = 0
        for _ in 0..<3_000 {
            guard case .object(var card) = randomValue(&random, depth: 0) else { continue }
            if Bool.random(using: &random) {
                card["capabilities"] = .object([
                    "extensions": .array([
                        .object(["uri": .string("urn:x"), "required": .bool(false)]),
                        .object(["uri": .string(""), "required": .bool(true)]), .object([:]),
                    ])
                ])
            }
            if Bool.random(using: &random) { card["signatures"] = .array([.object(["protected": .string("x")])]) }
            let expected = try reference(.object(card))
            #expect(try CardPayload.canonicalBytes(of: .object(card)) == expected, "\(card)")
            var unsigned = card
            unsigned["signatures"] = nil
            if try JCS.canonicalize(.object(unsigned)) != expected { differentFromPlainJCS += 1 }
        }
        // The trees must exercise the cleaning: a good share of them have something to drop.
        #expect(differentFromPlainJCS > 300)
    }

    @Test func aCardThatIsAllDefaultsIsTheEmptyObject() throws {
        let card: JSONValue = .object([
            "name": .string(""), "skills": .array([.object(["tags": .array([])]), .null]),
            "signatures": .array([]),
        ])
        #expect(try CardPayload.canonicalBytes(of: card) == Array("{}".utf8))
        #expect(try reference(card) == Array("{}".utf8))
    }

    @Test func depthIsRefusedOnlyWhereSomethingIsWritten() throws {
        func nested(_ depth: Int, leaf: JSONValue) -> JSONValue {
            (0..<depth).reduce(leaf) { inner, _ in .array([inner]) }
        }
        let deepButEmpty: JSONValue = .object(["a": nested(StrictJSON.maximumDepth + 3, leaf: .null), "b": .bool(true)])
        #expect(try CardPayload.canonicalBytes(of: deepButEmpty) == (try reference(deepButEmpty)))
        let deepAndFull: JSONValue = .object(["a": nested(StrictJSON.maximumDepth + 3, leaf: .bool(true))])
        #expect(throws: CardSignatureError.self) { try reference(deepAndFull) }
        #expect(throws: CardSignatureError.self) { try CardPayload.canonicalBytes(of: deepAndFull) }
    }

    @Test func membersAboveU_E000StillSortByUTF16() throws {
        // U+FB33 sorts before U+1F600 by UTF-8 bytes' lead (EF < F0) but after it by UTF-16 (FB33 > D83D).
        let card: JSONValue = .object(["\u{fb33}": .string("dalet"), "\u{1F600}": .string("face"), "a": .bool(true)])
        let text = String(decoding: try CardPayload.canonicalBytes(of: card), as: UTF8.self)
        #expect(text == "{\"a\":true,\"\u{1F600}\":\"face\",\"\u{fb33}\":\"dalet\"}")
    }
}
