/// Why a card file, a card or an agent profile was refused, naming the field (a JSON path such as
/// `skills[1].tags`, or a record field such as `homeRelays[0]`).
public struct ProfileError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The bytes are not JSON (or not UTF-8, or too large to read).
        case invalidJSON = "invalid-json"
        /// A field A2A's AgentCard does not define (a typo, most likely).
        case unknownField = "unknown-field"
        /// A field A2A requires is absent or empty.
        case missingField = "missing-field"
        /// A field holds the wrong JSON type.
        case wrongType = "wrong-type"
        /// A field holds a value outside its domain (a knock token that is not 8 bytes, say).
        case invalidValue = "invalid-value"
        /// A field is over its limit in the record.
        case tooLarge = "too-large"
        /// The card cannot be compacted into the record's budget even at its smallest.
        case cannotFit = "cannot-fit"
        /// The prekey bundle is not signed by the record's DID.
        case badSignature = "bad-signature"
    }

    public let code: Code
    public let field: String
    public let reason: String

    public init(_ code: Code, field: String, _ reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String {
        field.isEmpty ? "\(code.rawValue): \(reason)" : "\(code.rawValue) at \(field): \(reason)"
    }
}
