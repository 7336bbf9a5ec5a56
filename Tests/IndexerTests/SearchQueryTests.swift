import Indexer
import Testing

@Suite struct SearchQueryTests {
    @Test func fts5SyntaxBecomesWords() throws {
        let query = try SearchQuery.parse(
            q: #"NEAR("a" b) OR name:x* "; DROP TABLE indexer_agent; --"#,
            capability: nil,
            tag: nil,
            limit: nil,
            cursor: nil
        )
        #expect(query.words == ["near", "a", "b", "or", "name", "x", "drop", "table", "indexer", "agent"])
        #expect(query.matchExpression?.contains(";") == false)
        #expect(query.limit == SearchQuery.defaultLimit)
    }

    @Test func limitIsCappedAndCursorChecked() throws {
        #expect(try SearchQuery.parse(q: "x", capability: nil, tag: nil, limit: "100000", cursor: nil).limit == 100)
        #expect(throws: SearchQueryError.self) {
            try SearchQuery.parse(q: "x", capability: nil, tag: nil, limit: "-1", cursor: nil)
        }
        #expect(throws: SearchQueryError.self) {
            try SearchQuery.parse(q: "x", capability: nil, tag: nil, limit: "ten", cursor: nil)
        }
        // "p00" and "p007": found by FuzzIndexerQuery (a cursor must be its own canonical form).
        for bad in ["x", "p", "p-1", "p99999", "p1 ", "q10", "p١", "p00", "p007"] {
            #expect(throws: SearchQueryError.self) { try SearchCursor.decode(bad) }
        }
        #expect(try SearchCursor.decode(SearchCursor.encode(offset: 40)) == 40)
        #expect(try SearchCursor.decode("p0") == 0)
        #expect(throws: SearchQueryError.self) {
            try SearchQuery.parse(
                q: String(repeating: "a", count: 600),
                capability: nil,
                tag: nil,
                limit: nil,
                cursor: nil
            )
        }
    }

    @Test func wordsAreBounded() {
        let words = SearchQuery.words(
            in: (0..<40).map { "w\($0)" }.joined(separator: " ") + String(repeating: "z", count: 100)
        )
        #expect(words.count == SearchQuery.maximumWords)
        #expect(words.allSatisfy { $0.count <= SearchQuery.maximumWordLength })
    }
}
