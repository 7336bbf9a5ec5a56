import Kademlia

/// Who can find an agent (docs/exposure.md, decision 0082).
///
/// - `listed`: the record under the DID key, provider records for its capabilities, and indexers list it.
/// - `unlisted`: the record under the DID key only, saying "unlisted"; no provider records, and a well-behaved
///   indexer leaves it out. Whoever knows the DID can still find it.
/// - `private`: no record under the DID key at all; sealed records under keys derived from invite secrets.
public enum Exposure: String, Sendable, Codable, CaseIterable {
    case listed
    case unlisted
    case `private`

    /// The extension byte; `listed` writes no extension at all.
    var recordByte: UInt8? {
        switch self {
        case .listed: nil
        case .unlisted: 1
        case .private: 2
        }
    }

    /// The record extension that says this level, or nil for `listed` (the absence means listed).
    public var recordExtension: RecordExtension? {
        recordByte.map { RecordExtension(type: RecordExtension.exposure, value: [$0]) }
    }

    /// The level a record declares. No extension is `listed`; a value this build does not know (a longer value
    /// or a new byte) reads as `unlisted`, the most private level a public record can honour, so an indexer
    /// never lists an agent that asked for something it does not understand.
    public static func declared(by record: AgentRecord) -> Exposure {
        guard let value = record.extensionValue(ofType: RecordExtension.exposure) else { return .listed }
        switch value {
        case [1]: return .unlisted
        case [2]: return .private
        default: return .unlisted
        }
    }
}
