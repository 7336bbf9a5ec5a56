/// Any key of a keyed container: what strict decoders list with `allKeys` to name a key they do not know (a typo
/// in a config file, a field an endpoint does not take) instead of silently ignoring it.
public struct AnyCodingKey: CodingKey, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
