/// A search as the HTTP API receives it, checked and reduced to what SQLite needs (decision 0089).
///
/// `q` never reaches FTS5 as syntax: it is split into words (runs of letters and digits), and each word becomes a
/// quoted prefix term (`"word"*`), all of which must match. So `NEAR(`, `*`, `"`, `OR`, column filters and SQL
/// metacharacters are only ever words or separators. Anything else out of bounds is a `SearchQueryError` (HTTP 400).
public struct SearchQuery: Sendable, Equatable {
    public static let maximumQueryBytes = 512
    public static let maximumWords = 16
    public static let maximumWordLength = 64
    public static let defaultLimit = 20
    public static let maximumLimit = 100
    public static let maximumOffset = 10_000
    public static let maximumFilterBytes = 64

    public var words: [String]
    public var capability: String?
    public var tag: String?
    public var limit: Int
    public var offset: Int

    public init(words: [String] = [], capability: String? = nil, tag: String? = nil, limit: Int = 20, offset: Int = 0) {
        self.words = words
        self.capability = capability
        self.tag = tag
        self.limit = limit
        self.offset = offset
    }

    /// Parses the raw query parameters. A `limit` above the cap is lowered to it; one that is not a positive
    /// integer, a cursor that does not decode, and oversize text are refused.
    public static func parse(
        q: String?,
        capability: String?,
        tag: String?,
        limit: String?,
        cursor: String?
    ) throws(SearchQueryError) -> SearchQuery {
        let text = q ?? ""
        guard text.utf8.count <= maximumQueryBytes else {
            throw SearchQueryError("q is \(text.utf8.count) bytes; at most \(maximumQueryBytes)")
        }
        var query = SearchQuery(words: Self.words(in: text))
        query.capability = try filter(capability, name: "capability")
        query.tag = try filter(tag, name: "tag")
        if let limit, !limit.isEmpty {
            guard limit.utf8.count <= 9, let value = Int(limit), value > 0 else {
                throw SearchQueryError("limit must be a positive integer")
            }
            query.limit = min(value, maximumLimit)
        } else {
            query.limit = defaultLimit
        }
        if let cursor, !cursor.isEmpty {
            query.offset = try SearchCursor.decode(cursor)
        }
        return query
    }

    /// Runs of letters and digits, lowercased, at most `maximumWords`, each cut to `maximumWordLength` characters.
    public static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty, words.count < maximumWords { words.append(String(current.prefix(maximumWordLength))) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber { current.append(character) } else { flush() }
        }
        flush()
        return words
    }

    /// The FTS5 MATCH expression: every word as a quoted prefix term (a word holds no quote, so none escapes).
    /// A query that is one word repeated ("trans trans") is that word once: it matches the same rows, and each
    /// row's BM25 score was the single word's added to itself, so every score is the same multiple of the single
    /// word's and the ranking is the same (exactly for two copies, where doubling does not round). It only cost
    /// another pass over every match: the costliest query of the benchmark was a common word twice. Other
    /// repetitions ("trans trans plan") weigh their words differently and are kept as written.
    public var matchExpression: String? {
        guard let first = words.first else { return nil }
        let terms = words.allSatisfy { $0 == first } ? [first] : words
        return terms.map { "\"\($0)\"*" }.joined(separator: " ")
    }

    static func filter(_ value: String?, name: String) throws(SearchQueryError) -> String? {
        guard let value else { return nil }
        let trimmed = value.lowercased().filter { !$0.isWhitespace }
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.utf8.count <= maximumFilterBytes else {
            throw SearchQueryError("\(name) is longer than \(maximumFilterBytes) bytes")
        }
        return trimmed
    }
}

/// A bad search request: the API answers 400 with the reason.
public struct SearchQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
