import MeshCore

extension KnockPolicy {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case `default`
        case allow
        case deny
        case intents
        case acceptIntroducedByContacts
        case difficulty
        case requireOwner
        case owners
        case tiers
    }

    public init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorruptedError(
                forKey: AnyCodingKey(stringValue: unknown),
                in: all,
                debugDescription:
                    "unknown key `\(unknown)` in the knock policy (known: \(known.sorted().joined(separator: ", ")))"
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            default: try container.decodeIfPresent(Rule.self, forKey: .default) ?? .hold,
            allow: try container.decodeIfPresent([String].self, forKey: .allow) ?? [],
            deny: try container.decodeIfPresent([String].self, forKey: .deny) ?? [],
            intents: try container.decodeIfPresent([String: Rule].self, forKey: .intents) ?? [:],
            acceptIntroducedByContacts: try container.decodeIfPresent(Bool.self, forKey: .acceptIntroducedByContacts)
                ?? false,
            difficulty: try container.decodeIfPresent(UInt8.self, forKey: .difficulty) ?? KnockPolicy.defaultDifficulty,
            requireOwner: try container.decodeIfPresent([String: [String]].self, forKey: .requireOwner) ?? [:],
            owners: try container.decodeIfPresent([String].self, forKey: .owners) ?? [],
            tiers: try KnockPolicy.decodeTiers(container)
        )
        try validateOwners(container)
        for did in allow + deny where (try? DIDKey.decode(did)) == nil {
            let key: CodingKeys = allow.contains(did) ? .allow : .deny
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: container,
                debugDescription: "`\(key.stringValue)`: \"\(did)\" is not a did:key"
            )
        }
        for pattern in intents.keys.sorted() where !KnockPolicy.isIntentPattern(pattern) {
            throw DecodingError.dataCorruptedError(
                forKey: .intents,
                in: container,
                debugDescription: "`intents`: \"\(pattern)\" is neither an intent name nor a namespace ending in `.*`"
            )
        }
        guard difficulty <= KnockWork.maximumDifficulty else {
            throw DecodingError.dataCorruptedError(
                forKey: .difficulty,
                in: container,
                debugDescription: "`difficulty` is at most \(KnockWork.maximumDifficulty) bits, not \(difficulty)"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.default, forKey: .default)
        try container.encode(allow, forKey: .allow)
        try container.encode(deny, forKey: .deny)
        try container.encode(intents, forKey: .intents)
        try container.encode(acceptIntroducedByContacts, forKey: .acceptIntroducedByContacts)
        try container.encode(difficulty, forKey: .difficulty)
        if !requireOwner.isEmpty { try container.encode(requireOwner, forKey: .requireOwner) }
        if !owners.isEmpty { try container.encode(owners, forKey: .owners) }
        if !tiers.isEmpty {
            let named = Dictionary(uniqueKeysWithValues: tiers.map { ($0.key.rawValue, $0.value) })
            try container.encode(named, forKey: .tiers)
        }
    }

    /// An intent name, or a namespace `a.b.*` whose prefix `a.b` is made of intent-name characters.
    static func isIntentPattern(_ pattern: String) -> Bool {
        if (try? Intent.validateName(pattern)) != nil { return true }
        guard pattern.hasSuffix(".*") else { return false }
        let namespace = pattern.dropLast(2)
        guard !namespace.isEmpty, namespace.utf8.count <= Intent.maximumNameByteCount - 2 else { return false }
        return namespace.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { segment in
            !segment.isEmpty
                && segment.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                }
        }
    }
}
