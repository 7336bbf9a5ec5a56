/// Why an incoming knock was dropped. Codes are listed in the order the gate checks them (cheapest first).
public struct KnockRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// Larger than any knock can be.
        case oversize
        /// Not a knock envelope, or not a well-formed one.
        case malformed
        /// Addressed to another agent.
        case wrongRecipient = "wrong-recipient"
        /// Carries neither the current nor the previous knock token.
        case staleToken = "stale-token"
        /// `issuedAt` is further from our clock than the allowed skew.
        case outsideWindow = "outside-window"
        /// A knock ID already admitted.
        case replay
        /// Less proof of work than our record asks for.
        case insufficientWork = "insufficient-work"
        /// The sender's signature does not verify.
        case badSignature = "bad-signature"
        /// This sender knocked too often.
        case senderRateLimited = "sender-rate-limited"
        /// Too many knocks from everyone.
        case globalRateLimited = "global-rate-limited"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
