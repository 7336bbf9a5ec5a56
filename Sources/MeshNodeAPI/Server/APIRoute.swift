import Foundation
import Hummingbird

/// The local API's endpoints, and how a method and path select one. A path that names no endpoint is 404; a
/// known path with another method is 405 with the methods it takes.
enum APIRoute: Hashable, Sendable {
    case status
    case find
    case createKnock
    case listKnocks
    case decideKnock(id: String, accept: Bool)
    case send
    case messages
    case sentMessage(id: String)
    case contacts
    case rotateKnockToken
    case rotateAPIToken
    case dashboardLogin
    case events
    case metrics
    case audit, auditVerify, breaker, breakerTrip, breakerReset
    case listInvites, createInvite, resolveInvite
    case revokeInvite(id: String)
    case paths, resetPath

    enum Failure: Error, Hashable {
        case notFound
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case badPath(String)
    }

    /// The longest ID a path may carry. IDs are opaque to the HTTP layer; the node says whether one exists.
    static let maximumIDLength = 256

    static func resolve(method: HTTPRequest.Method, path: String) -> Result<APIRoute, Failure> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/") else { return .failure(.notFound) }
        let table: [HTTPRequest.Method: APIRoute]
        switch Array(segments) {
        case ["metrics"]: table = [.get: .metrics]
        case ["v1", "status"]: table = [.get: .status]
        case ["v1", "find"]: table = [.get: .find]
        case ["v1", "knocks"]: table = [.get: .listKnocks, .post: .createKnock]
        case ["v1", "messages"]: table = [.get: .messages, .post: .send]
        case ["v1", "contacts"]: table = [.get: .contacts]
        case ["v1", "knock-token", "rotate"]: table = [.post: .rotateKnockToken]
        case ["v1", "token", "rotate"]: table = [.post: .rotateAPIToken]
        case ["v1", "dashboard", "login"]: table = [.post: .dashboardLogin]
        case ["v1", "events"]: table = [.get: .events]
        case ["v1", "audit"]: table = [.get: .audit]
        case ["v1", "audit", "verify"]: table = [.get: .auditVerify]
        case ["v1", "breaker"]: table = [.get: .breaker]
        case ["v1", "breaker", "trip"]: table = [.post: .breakerTrip]
        case ["v1", "breaker", "reset"]: table = [.post: .breakerReset]
        case ["v1", "invites"]: table = [.get: .listInvites, .post: .createInvite]
        case ["v1", "invites", "resolve"]: table = [.post: .resolveInvite]
        case ["v1", "paths"]: table = [.get: .paths]
        case ["v1", "paths", "reset"]: table = [.post: .resetPath]
        case let parts where parts.count == 4 && parts[0] == "v1" && parts[1] == "invites" && parts[3] == "revoke":
            switch decodeID(parts[2]) {
            case .success(let id): table = [.post: .revokeInvite(id: id)]
            case .failure(let failure): return .failure(failure)
            }
        case let parts where parts.count == 4 && parts[0] == "v1" && parts[1] == "knocks":
            guard parts[3] == "approve" || parts[3] == "deny" else { return .failure(.notFound) }
            switch decodeID(parts[2]) {
            case .success(let id): table = [.post: .decideKnock(id: id, accept: parts[3] == "approve")]
            case .failure(let failure): return .failure(failure)
            }
        case let parts where parts.count == 4 && parts[0] == "v1" && parts[1] == "messages" && parts[2] == "sent":
            switch decodeID(parts[3]) {
            case .success(let id): table = [.get: .sentMessage(id: id)]
            case .failure(let failure): return .failure(failure)
            }
        default:
            return .failure(.notFound)
        }
        if let route = table[method] { return .success(route) }
        return .failure(.methodNotAllowed(allowed: table.keys.sorted { $0.rawValue < $1.rawValue }))
    }

    private static func decodeID(_ segment: Substring) -> Result<String, Failure> {
        guard !segment.isEmpty else { return .failure(.notFound) }
        guard let id = String(segment).removingPercentEncoding else {
            return .failure(.badPath("the ID in the path is not valid percent-encoded UTF-8"))
        }
        guard id.unicodeScalars.count <= maximumIDLength else {
            return .failure(.badPath("the ID in the path is longer than \(maximumIDLength) characters"))
        }
        guard !id.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return .failure(.badPath("the ID in the path contains control characters"))
        }
        return .success(id)
    }
}
