import Foundation

/// `POST /v1/dashboard/login` (bearer token): a one-time login code for the dashboard. The browser opens
/// `<base URL><path>`; the code travels in the URL's fragment, which no browser sends to a server, and the login
/// page spends it at once by POST and removes it from the address bar. Unused, it expires after
/// `expires_in_seconds`.
public struct DashboardLogin: Hashable, Sendable, Codable {
    public var code: String
    /// `/dashboard/login#<code>`.
    public var path: String
    public var expiresInSeconds: Int

    public init(code: String, path: String, expiresInSeconds: Int) {
        self.code = code
        self.path = path
        self.expiresInSeconds = expiresInSeconds
    }

    enum CodingKeys: String, CodingKey {
        case code, path
        case expiresInSeconds = "expires_in_seconds"
    }

    static func issue(_ sessions: DashboardSessionStore) async -> DashboardLogin {
        let code = await sessions.issueCode()
        return DashboardLogin(
            code: code,
            path: "/dashboard/login#" + code,
            expiresInSeconds: Int(sessions.codeLifetimeSeconds)
        )
    }
}
