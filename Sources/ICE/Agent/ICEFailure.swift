/// Why connectivity checks ended without a path, pair by pair (design rule 8: a multi-attempt failure says what
/// each attempt did).
public struct ICEFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// Every pair failed, and the peer said it had no more candidates.
        case allPairsFailed = "all-pairs-failed"
        /// The checking phase ran past its time limit.
        case timeout
        /// There was nothing to check (no candidates on one side, or only incompatible address families).
        case noPairs = "no-pairs"
    }

    public struct PairReport: Hashable, Sendable, Codable {
        public var local: String
        public var remote: String
        public var state: String
        public var requestsSent: Int
        public var responsesReceived: Int
        public var lastError: String?
    }

    public let code: Code
    public let reason: String
    public let pairs: [PairReport]

    public init(code: Code, reason: String, pairs: [PairReport]) {
        self.code = code
        self.reason = reason
        self.pairs = pairs
    }

    public var description: String {
        let lines = pairs.map {
            "  \($0.local) -> \($0.remote): \($0.state), \($0.requestsSent) sent, \($0.responsesReceived) answered"
                + ($0.lastError.map { ", \($0)" } ?? "")
        }
        return ([" \(code.rawValue): \(reason)"] + lines).joined(separator: "\n")
    }
}
