import Indexer
import IndexerSimulation
import Kademlia
import MeshCore
import MeshPeer
import Testing

/// A card's tags become the mirror's tags trimmed of Unicode white space at both ends (the set Foundation's
/// `.whitespacesAndNewlines` names, tabs, no-break and ideographic spaces included), lowercased and de-duplicated;
/// a tag that is only white space is dropped, and white space inside a tag stays.
@Suite struct DocumentTagTests {
    @Test func tagsAreTrimmedOfUnicodeWhiteSpace() throws {
        let key = TestRecords.key(70)
        var card = SyntheticCard.card(index: 15, did: key.publicKey.did)
        card.skills[0].tags = [
            "  Chess\n", "\u{3000}Go\u{00A0}", " \t\u{2028} ", "board games", "\u{0085}CHESS", "\u{200B}zero",
        ]
        let document = try TestRecords.document(TestRecords.record(key, index: 15, card: card))
        #expect(document.tags.contains("chess"))
        #expect(document.tags.contains("go"))
        #expect(document.tags.contains("board games"))
        // U+200B (zero width space) is not White_Space: it stays, as Foundation would keep it.
        #expect(document.tags.contains("\u{200B}zero"))
        #expect(document.tags.filter { $0 == "chess" }.count == 1)
        #expect(!document.tags.contains(""))
        #expect(
            document.tags.allSatisfy { tag in
                tag.unicodeScalars.first?.properties.isWhitespace == false
                    && tag.unicodeScalars.last?.properties.isWhitespace == false
            }
        )
    }
}
