/// What an A2A card signature covers (A2A §8.4.1): the card without its `signatures` member and without default
/// values, in RFC 8785 form. "Without default values" is what the A2A SDK does before it canonicalises: empty
/// strings, lists and objects are dropped at every depth (a container left empty goes too), and so is
/// `capabilities.extensions[].required` when false, the one non-optional proto3 bool a card has. A card this
/// node signs carries no such values (`publishable`) but for one: `capabilities`, which A2A requires even when
/// it is empty, stays as `{}`. So its published JSON and the SDK's view of it canonicalise to the same bytes, and
/// a plain JCS library gets them too whenever `capabilities` is not empty.
public enum CardPayload {
    /// The canonical bytes a signature over `card` covers.
    public static func canonicalBytes(of card: JSONValue) throws(CardSignatureError) -> [UInt8] {
        guard case .object(var members) = card else {
            throw CardSignatureError(.malformedCard, "a card is a JSON object")
        }
        members["signatures"] = nil
        // `withoutDefaults` in one pass: the extensions' `required: false` taken out (a card seldom has any), then
        // the rest of the defaults dropped as JCS writes, without a cleaned copy of the whole tree (an indexer
        // checks thousands of cards a second; decision 0117).
        let card = requiredFlagsDropped(members)
        var out: [UInt8] = []
        out.reserveCapacity(1_024)
        if try !JCS.writeWithoutDefaults(.object(card), depth: 0, into: &out) { return Array("{}".utf8) }
        return out
    }

    /// The card with its default values removed (see above); the signer publishes exactly this plus `signatures`.
    public static func withoutDefaults(_ card: JSONValue) -> JSONValue {
        guard case .object(let members) = card else { return cleaned(card) ?? .object([:]) }
        return cleaned(.object(requiredFlagsDropped(members))) ?? .object([:])
    }

    /// The card's members with `capabilities.extensions[].required` removed where it is `false`.
    static func requiredFlagsDropped(_ card: [String: JSONValue]) -> [String: JSONValue] {
        guard case .object(var capabilities) = card["capabilities"],
            case .array(let extensions) = capabilities["extensions"]
        else { return card }
        var members = card
        capabilities["extensions"] = .array(
            extensions.map { item in
                guard case .object(var fields) = item, fields["required"] == .bool(false) else { return item }
                fields["required"] = nil
                return .object(fields)
            }
        )
        members["capabilities"] = .object(capabilities)
        return members
    }

    /// The card as a signer publishes it: `withoutDefaults`, keeping an empty `capabilities` (A2A requires it).
    public static func publishable(_ card: JSONValue) -> JSONValue {
        guard case .object(var members) = withoutDefaults(card) else { return withoutDefaults(card) }
        if card["capabilities"] != nil, members["capabilities"] == nil { members["capabilities"] = .object([:]) }
        return .object(members)
    }

    /// Nil for an empty string, list or object (after cleaning their contents); depth is bounded by the reader.
    static func cleaned(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .string(let text): return text.isEmpty ? nil : value
        case .array(let items):
            let kept = items.compactMap(cleaned)
            return kept.isEmpty ? nil : .array(kept)
        case .object(let members):
            let kept = members.compactMapValues(cleaned)
            return kept.isEmpty ? nil : .object(kept)
        case .null: return nil
        case .bool, .number: return value
        }
    }
}
