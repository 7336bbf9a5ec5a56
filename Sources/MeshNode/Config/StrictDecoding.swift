import MeshCore

extension Decoder {
    /// Throws when the object at this level has a key outside `allowed`, naming it and the keys that are allowed.
    func refuseUnknownKeys(_ allowed: [String], in section: String) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw ConfigurationError(
                "unknown key \"\(key.stringValue)\" in \(section) (allowed: \(allowed.sorted().joined(separator: ", ")))"
            )
        }
    }
}

/// A configuration file that cannot be used, with the reason.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
