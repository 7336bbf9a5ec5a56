/// An error the local API reports to an agent: a stable code (mapped to an HTTP status) and a reason a person
/// can act on. Never carries a secret.
public struct NodeAPIError: Error, Hashable, Sendable, Codable {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// Malformed input or a body that fails its intent's schema (400).
        case badRequest = "bad_request"
        /// Missing or wrong bearer token (401).
        case unauthorized
        /// The owner's policy or the breaker forbids it (403).
        case forbidden
        /// Unknown DID, message or knock (404).
        case notFound = "not_found"
        /// The request conflicts with state: a knock already decided, a knock still pending (409).
        case conflict
        /// The body is larger than the API accepts (413).
        case tooLarge = "too_large"
        /// Too many requests (429).
        case rateLimited = "rate_limited"
        /// The node cannot do it now: no relay, DHT not joined, shutting down (503).
        case unavailable
        /// A lookup or wait that ran out of time (504).
        case timeout
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var httpStatus: Int {
        switch code {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .tooLarge: 413
        case .rateLimited: 429
        case .unavailable: 503
        case .timeout: 504
        }
    }
}
