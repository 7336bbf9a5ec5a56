import MeshCore

/// Which relays an envelope for a recipient goes through, from what the sender knows: its own home relays,
/// the recipient's home relays (the addresses in the recipient's signed DHT record) and the relay adverts it
/// has found. Sans-IO and pure, so the choice is testable without sockets.
public enum RelayRoute {
    /// One relay to try: its address and, when an advert names that address, the key the relay must prove
    /// at login (the client refuses a challenge from any other key).
    public struct Hop: Hashable, Sendable {
        public var address: RelayAddress
        public var expectedKey: Ed25519.PublicKey?
        /// True when the sender is already logged in there (no new connection needed).
        public var isOwnHome: Bool

        public init(address: RelayAddress, expectedKey: Ed25519.PublicKey? = nil, isOwnHome: Bool = false) {
            self.address = address
            self.expectedKey = expectedKey
            self.isOwnHome = isOwnHome
        }
    }

    /// At most this many of the recipient's relays are considered (a record names few; a hostile one many).
    public static let maximumHops = 8

    /// The recipient's relays in the order to try them: ones the sender already uses first, then ones a
    /// valid advert vouches for, then the rest, each group in the recipient's own order. Unparseable
    /// addresses are skipped; an empty answer means the recipient names no usable relay.
    public static func hops(
        recipientHomes: [String],
        ownHomes: [RelayAddress],
        adverts: [RelayAdvert]
    ) -> [Hop] {
        var seen: Set<RelayAddress> = []
        var hops: [Hop] = []
        for text in recipientHomes.prefix(maximumHops) {
            guard let address = RelayAddress(text), seen.insert(address).inserted else { continue }
            let advert = adverts.first { advert in advert.addresses.contains { RelayAddress($0) == address } }
            hops.append(Hop(address: address, expectedKey: advert?.relayKey, isOwnHome: ownHomes.contains(address)))
        }
        return hops.enumerated().sorted { lhs, rhs in
            let a = (lhs.element.isOwnHome ? 0 : 1, lhs.element.expectedKey == nil ? 1 : 0, lhs.offset)
            let b = (rhs.element.isOwnHome ? 0 : 1, rhs.element.expectedKey == nil ? 1 : 0, rhs.offset)
            return a < b
        }.map(\.element)
    }
}
