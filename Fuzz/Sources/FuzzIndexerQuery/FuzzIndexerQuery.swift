import FuzzSupport
import Indexer
import Kademlia
import MeshCore

/// The indexer's untrusted inputs never trap: search parameters (the first byte picks which one the rest feeds),
/// cursors, and an agent record read into a mirror document. A parsed query's FTS5 expression holds only quoted
/// words of letters and digits, within the bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    let text = String(decoding: rest, as: UTF8.self)
    switch selector % 3 {
    case 0:
        if let query = try? SearchQuery.parse(q: text, capability: text, tag: nil, limit: text, cursor: nil) {
            fuzzCheck(query.words.count <= SearchQuery.maximumWords, "too many words")
            fuzzCheck(query.limit >= 1 && query.limit <= SearchQuery.maximumLimit, "limit out of bounds")
            for word in query.words {
                fuzzCheck(word.allSatisfy { $0.isLetter || $0.isNumber }, "a word carries syntax")
            }
        }
    case 1:
        if let offset = try? SearchCursor.decode(text) {
            fuzzCheck(offset >= 0 && offset <= SearchQuery.maximumOffset, "cursor offset out of bounds")
            fuzzCheck(SearchCursor.encode(offset: offset) == text, "cursor is not canonical")
        }
    default:
        // Signature checks would stop nearly every input before the card; read the record unverified instead.
        if let record = try? AgentRecord(wireBytes: rest) {
            let envelope = ValidatedRecord(
                key: record.key,
                type: .agent,
                sequence: record.sequence,
                expiresAt: record.expiresAt,
                publisher: record.key,
                envelope: record.envelope
            )
            _ = try? AgentDocument.make(from: envelope)
        }
    }
    return 0
}
