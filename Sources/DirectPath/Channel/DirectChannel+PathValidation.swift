import MeshCore

extension DirectChannel {
    /// A packet carrying PATH_CHALLENGE(`token`), for the driver to send to an address the peer seems to have moved
    /// to (RFC 9000 §8.2 in miniature). The driver moves the path only once `takePathResponses` returns the token
    /// from a datagram that came from that address: an on-path attacker that replays a genuine packet from its own
    /// address first can no longer redirect our data to itself, because it cannot answer a challenge it cannot
    /// decrypt.
    ///
    /// The token must be unpredictable (the driver draws it from the system's random source). The packet is not
    /// counted in flight: if it is lost, the driver challenges again.
    public mutating func pathChallenge(token: UInt64, now: Timestamp) -> [UInt8] {
        var datagram = PacketProtection.startDatagram(maximumSize: datagramSize)
        PacketFrame.pathChallenge(token).encode(into: &datagram)
        return seal(&datagram, ackEliciting: false, streamRanges: [], now: now)
    }

    /// The PATH_RESPONSE tokens received since the last call, oldest first (at most four are kept).
    public mutating func takePathResponses() -> [UInt64] {
        defer { receivedPathResponses.removeAll() }
        return receivedPathResponses
    }
}
