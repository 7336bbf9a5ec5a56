/// How far a node trusts a peer, lowest first; the knock policy's `tiers` rules act on it (decision 0093).
///
/// - `unknown`: never accepted.
/// - `knockedAccepted`: its knock was accepted (by a rule or the owner), so it is a contact with no history yet.
/// - `contact`: a contact (added by the owner, by an invite, or after an accepted knock).
/// - `ownerVerified`: a contact whose owner certificate verified when it was accepted.
public enum TrustTier: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case unknown
    case knockedAccepted = "knocked-accepted"
    case contact
    case ownerVerified = "owner-verified"

    private var rank: Int {
        switch self {
        case .unknown: 0
        case .knockedAccepted: 1
        case .contact: 2
        case .ownerVerified: 3
        }
    }

    public static func < (lhs: TrustTier, rhs: TrustTier) -> Bool { lhs.rank < rhs.rank }
}
