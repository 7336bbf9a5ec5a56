// Request and response bodies of the invite endpoints (docs/exposure.md). JSON keys are snake_case.

/// `POST /v1/invites`: a new invite, optionally labelled (for the owner's list) and expiring.
public struct InviteCreateRequest: Hashable, Sendable, Codable {
    public var label: String?
    public var expiresInSeconds: Int?

    public init(label: String? = nil, expiresInSeconds: Int? = nil) {
        self.label = label
        self.expiresInSeconds = expiresInSeconds
    }

    /// A label is for the owner's eyes: at most 64 bytes. An expiry is one minute to one year.
    public static let maximumLabelBytes = 64
    public static let expiryRange = 60...(366 * 24 * 3600)

    enum CodingKeys: String, CodingKey {
        case label
        case expiresInSeconds = "expires_in_seconds"
    }
}

/// One invite as its owner sees it. `invite` (the text to hand over) is present only in the answer to the
/// request that created it: listing never shows secrets again.
public struct InviteSummary: Hashable, Sendable, Codable {
    public var id: String
    public var label: String?
    public var createdAt: String
    public var expiresAt: String?
    public var revokedAt: String?
    /// `active`, `expired` or `revoked`.
    public var state: String
    public var invite: String?

    public init(
        id: String,
        label: String?,
        createdAt: String,
        expiresAt: String?,
        revokedAt: String?,
        state: String,
        invite: String? = nil
    ) {
        self.id = id
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.state = state
        self.invite = invite
    }

    enum CodingKeys: String, CodingKey {
        case id, label, state, invite
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
    }
}

/// `POST /v1/invites/resolve`: the invite text someone handed over.
public struct InviteResolveRequest: Hashable, Sendable, Codable {
    public var invite: String

    public init(invite: String) { self.invite = invite }
}

extension NodeControl {
    public func createInvite(_ request: InviteCreateRequest) async throws(NodeAPIError) -> InviteSummary {
        throw NodeAPIError(.unavailable, "this node does not make invites")
    }

    public func invites() async throws(NodeAPIError) -> [InviteSummary] {
        throw NodeAPIError(.unavailable, "this node does not make invites")
    }

    public func revokeInvite(id: String) async throws(NodeAPIError) -> InviteSummary {
        throw NodeAPIError(.unavailable, "this node does not make invites")
    }

    public func resolveInvite(_ request: InviteResolveRequest) async throws(NodeAPIError) -> AgentSummary {
        throw NodeAPIError(.unavailable, "this node does not resolve invites")
    }
}
