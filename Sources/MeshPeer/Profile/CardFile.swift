import Foundation

/// The owner-edited card file: the full A2A AgentCard as JSON. No IO here; the caller reads the file and hands
/// over its contents. Errors name the field (`ProfileError`).
public enum CardFile {
    /// A card file larger than this is refused before parsing.
    public static let maximumBytes = 64 * 1_024

    /// Parses and checks a card file's contents.
    public static func parse(_ contents: [UInt8]) throws(ProfileError) -> AgentCard {
        guard contents.count <= maximumBytes else {
            throw ProfileError(
                .invalidJSON,
                field: "",
                "the card file is \(contents.count) bytes; at most \(maximumBytes)"
            )
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(contents))
        } catch {
            throw ProfileError(.invalidJSON, field: "", "not valid JSON: \(describe(error))")
        }
        return try AgentCard(json: json)
    }

    public static func parse(_ contents: String) throws(ProfileError) -> AgentCard {
        try parse(Array(contents.utf8))
    }

    /// Where a JSON syntax error is, when Foundation says.
    static func describe(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else { return "\(error)" }
        let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return underlying ?? context.debugDescription
    }
}

extension AgentCard {
    /// Compact, deterministic JSON (sorted keys, no whitespace): the bytes the record carries and the node serves.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every member is a string, bool, list or JSONValue, none of which can fail to encode.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Pretty JSON, for a card file written for the owner to edit.
    public func prettyJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
