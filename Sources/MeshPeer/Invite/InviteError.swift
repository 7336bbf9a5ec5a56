/// Why an invite, or the record it leads to, was refused. Every refusal names its reason; none traps.
public struct InviteError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// Not an invite: wrong prefix, bad characters, wrong length.
        case malformed
        /// An invite version this build does not read.
        case unsupportedVersion = "unsupported-version"
        /// The checksum does not match: a typo or a truncated copy.
        case badChecksum = "bad-checksum"
        /// Past the expiry written in the invite.
        case expired
        /// Revoked by its owner (known only to the owner's node; elsewhere it simply stops finding anything).
        case revoked
        /// No record under the invite's slot: revoked long enough ago, never published, or the agent is offline.
        case notFound = "not-found"
        /// A record is there but does not open with the invite's secret, or is not the invite's agent's record
        /// for this slot (a record copied from another slot, an older sequence, another DID).
        case badRecord = "bad-record"
        /// The record is too large to seal into one DHT record.
        case tooLarge = "too-large"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "invite refused (\(code.rawValue)): \(reason)" }
}
