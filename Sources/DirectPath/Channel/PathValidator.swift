import MeshCore

/// Where a channel's data goes, and when it may move (RFC 9000 §8.2 in miniature; decision 0070). Sans-IO: the
/// driver reports authenticated datagrams and PATH_RESPONSE tokens with their source address, and carries out the
/// answer (follow an address, or send a challenge there). Generic over the address type, so the channel module
/// does not depend on ICE's.
///
/// The first authenticated datagram is followed at once: it came over the pair ICE has just checked. Any later
/// address must echo a challenge first; the challenge is repeated after three round trips (at least 20 ms), at
/// most `maximumChallenges` times, and only while the peer keeps sending newer packets from there.
public struct PathValidator<Address: Hashable & Sendable>: Sendable {
    public enum Step: Equatable, Sendable {
        case none
        /// Send data to this address from now on.
        case follow(Address)
        /// Send a PATH_CHALLENGE with this token to this address (`DirectChannel.pathChallenge`).
        case challenge(Address, token: UInt64)
    }

    public static var maximumChallenges: Int { 5 }

    /// Where data goes; nil until the first authenticated datagram.
    public private(set) var current: Address?
    /// How often the path moved after the first address (a NAT rebinding followed).
    public private(set) var moves = 0
    /// The address being validated: its token, when the challenge last went out, and how many went out.
    private var pending: (address: Address, token: UInt64, sentAt: Timestamp, attempts: Int)?

    public init() {}

    /// An authenticated datagram newer than any before arrived from `address` (never call this for a replayed or
    /// forged one). `freshToken` must return an unpredictable value; it is called only when a new validation starts
    /// (not for every packet: the system's random source is a system call).
    public mutating func newestDatagram(
        from address: Address,
        now: Timestamp,
        smoothedRTT: Duration,
        freshToken: () -> UInt64
    ) -> Step {
        guard address != current else { return .none }
        guard current != nil else {
            current = address
            return .follow(address)
        }
        if let validation = pending, validation.address == address {
            let wait = max(smoothedRTT * 3, .milliseconds(20))
            guard now - validation.sentAt >= wait, validation.attempts < Self.maximumChallenges else { return .none }
            pending = (address, validation.token, now, validation.attempts + 1)
            return .challenge(address, token: validation.token)
        }
        let token = freshToken()
        pending = (address, token, now, 1)
        return .challenge(address, token: token)
    }

    /// PATH_RESPONSE tokens that arrived in a datagram from `address`: the path moves if one answers the pending
    /// challenge and came from the address it was sent to.
    public mutating func responses(_ tokens: [UInt64], from address: Address) -> Step {
        guard let validation = pending, validation.address == address, tokens.contains(validation.token) else {
            return .none
        }
        pending = nil
        current = address
        moves += 1
        return .follow(address)
    }
}
