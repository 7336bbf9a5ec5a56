import MeshCore

/// Local preferences for host candidates (RFC 8445 §5.1.2.1), interleaving address families as RFC 8421 §4 asks:
/// IPv6 first, then IPv4, then the next IPv6, and so on, each family in the order given.
///
/// Checks go out in pair-priority order, one per pacing interval. Listing every address of one family before the
/// other lets a family that is broken on this network (an IPv6 address with no route, a firewalled IPv4 LAN)
/// delay every check of the working family by one interval per pair ahead of it; interleaving bounds that delay
/// to one interval, which is what happy eyeballs (RFC 8305) does for TCP.
public enum HostPreference {
    /// The local preference of each address, highest first in the interleaved order (65,535, 65,534, …).
    /// Duplicates keep their first place; at most 65,536 addresses get a distinct value.
    public static func localPreferences(for addresses: [TransportAddress]) -> [TransportAddress: UInt16] {
        var preferences: [TransportAddress: UInt16] = [:]
        for (rank, address) in interleaved(addresses).enumerated() where preferences[address] == nil {
            preferences[address] = UInt16(clamping: 65_535 - rank)
        }
        return preferences
    }

    /// `addresses` with the families alternating, IPv6 first; within a family the given order is kept.
    public static func interleaved(_ addresses: [TransportAddress]) -> [TransportAddress] {
        let six = addresses.filter { !$0.ip.isIPv4 }
        let four = addresses.filter { $0.ip.isIPv4 }
        var result: [TransportAddress] = []
        result.reserveCapacity(addresses.count)
        for index in 0..<max(six.count, four.count) {
            if index < six.count { result.append(six[index]) }
            if index < four.count { result.append(four[index]) }
        }
        return result
    }
}
