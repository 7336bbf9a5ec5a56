/// `GET /v1/status`'s `nat`: the node's last classification of the NAT in front of it (decision 0101), with how
/// sure it is. Absent until the first measurement ends.
public struct NATStatus: Hashable, Sendable, Codable {
    /// `open`, `full-cone`, `restricted-cone`, `port-restricted`, `symmetric`, `cone`, `double-nat` or `no-answer`
    /// (`meshpeer nat-check`'s names, docs/decisions/0034).
    public var natClass: String
    /// `full` (two or more STUN servers answered), `partial` (one: a symmetric NAT cannot be told from a cone) or
    /// `none` (no answer).
    public var certainty: String
    /// The address the servers saw, when one answered.
    public var publicAddress: String?
    public var serversAsked: Int
    public var serversAnswered: Int
    public var measuredAt: String

    public init(
        natClass: String,
        certainty: String,
        publicAddress: String?,
        serversAsked: Int,
        serversAnswered: Int,
        measuredAt: String
    ) {
        self.natClass = natClass
        self.certainty = certainty
        self.publicAddress = publicAddress
        self.serversAsked = serversAsked
        self.serversAnswered = serversAnswered
        self.measuredAt = measuredAt
    }

    enum CodingKeys: String, CodingKey {
        case natClass = "class"
        case certainty
        case publicAddress = "public_address"
        case serversAsked = "servers_asked"
        case serversAnswered = "servers_answered"
        case measuredAt = "measured_at"
    }
}
