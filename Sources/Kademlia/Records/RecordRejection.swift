/// Why a record was refused. Every refusal is counted and surfaced as an event, so the log can say why.
public struct RecordRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case malformed
        case oversize
        case badSignature = "bad-signature"
        case wrongKey = "wrong-key"
        case expired
        case lifetimeTooLong = "lifetime-too-long"
        case issuedInFuture = "issued-in-future"
        case stale
        case unknownType = "unknown-type"
        case storeFull = "store-full"
        case badToken = "bad-token"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "record rejected (\(code.rawValue)): \(reason)" }
}
