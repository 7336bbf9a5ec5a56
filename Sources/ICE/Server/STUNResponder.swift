import MeshCore

/// The Binding responder every public node runs on its DHT port (and `meshpeer stun-server` runs alone).
/// Bytes and a source address in, a reply out; no sockets. Answers are minimal (XOR-MAPPED-ADDRESS, plus
/// FINGERPRINT only if the request had one), and every source IP is rate-limited. RFC 5780 CHANGE-REQUEST is
/// honoured when the owner has the alternate sockets, which is what lets `nat-check` measure filtering behaviour.
///
/// Amplification bound: no reply is larger than its request plus `allowance(for:)` (12 bytes for an IPv4 source,
/// 24 for IPv6: one XOR-MAPPED-ADDRESS). OTHER-ADDRESS is therefore sent only to a request large enough to pay
/// for it; `NATProbe` pads its requests with a SOFTWARE attribute for that. A reply that would break the bound is
/// not sent (counted in `oversizeDropped`).
public struct STUNResponder: Sendable {
    /// Which of the owner's sockets the reply must leave from (RFC 5780 §7.2).
    public enum Origin: Sendable, Hashable {
        case same, changedPort, changedAddress, changedAddressAndPort
    }

    public struct Reply: Sendable, Hashable {
        public var bytes: [UInt8]
        public var origin: Origin
    }

    public static let changeRequestType: UInt16 = 0x0003
    public static let otherAddressType: UInt16 = 0x802C

    /// The address a client should use for the changed-address tests; nil when this responder has no alternates.
    public var otherAddress: TransportAddress?
    public var limiter: KeyedRateLimiter<IPAddress>
    public private(set) var dropped = 0
    /// Replies not sent because they would have been larger than the amplification bound allows.
    public private(set) var oversizeDropped = 0

    /// A SOFTWARE value (24 bytes) that makes a request large enough for OTHER-ADDRESS of either family.
    public static let otherAddressPadding = "meshpeer nat-check probe"

    /// How many bytes a reply may exceed its request by: the size of one XOR-MAPPED-ADDRESS for the source's family.
    public static func allowance(for source: TransportAddress) -> Int { source.ip.isIPv4 ? 12 : 24 }

    public init(
        otherAddress: TransportAddress? = nil,
        limiter: KeyedRateLimiter<IPAddress> = KeyedRateLimiter(limits: .stunResponses)
    ) {
        self.otherAddress = otherAddress
        self.limiter = limiter
    }

    /// The reply to `bytes` received from `source`, or nil (not a Binding request, malformed, or rate-limited).
    public mutating func respond(to bytes: [UInt8], from source: TransportAddress, now: Timestamp) -> Reply? {
        guard STUNMessage.looksLikeSTUN(bytes), let decoded = try? STUNMessage.decode(bytes),
            decoded.message.messageClass == .request, decoded.message.method == STUNMessage.bindingMethod
        else { return nil }
        guard limiter.allow(source.ip, now: now) else {
            dropped += 1
            return nil
        }
        let request = decoded.message
        var unknown = decoded.unknownRequired
        var origin = Origin.same
        if otherAddress != nil, let flags = changeFlags(request) {
            unknown.removeAll { $0 == Self.changeRequestType }
            switch (flags & 0x4 != 0, flags & 0x2 != 0) {
            case (true, true): origin = .changedAddressAndPort
            case (true, false): origin = .changedAddress
            case (false, true): origin = .changedPort
            case (false, false): origin = .same
            }
        }
        if !unknown.isEmpty {
            let error = STUNMessage(
                .errorResponse,
                transactionID: request.transactionID,
                attributes: [.errorCode(code: 420, reason: ""), .unknownAttributes(Array(unknown.prefix(4)))]
            )
            return bounded(error.encoded(fingerprint: decoded.hasFingerprint), origin: .same, request: bytes, source)
        }
        var attributes: [STUNAttribute] = [.xorMappedAddress(source)]
        let limit = bytes.count + Self.allowance(for: source)
        if let other = otherAddress {
            let value = Self.addressValue(other)
            // OTHER-ADDRESS only when the request paid for it (4-byte attribute header plus the value).
            let minimal = STUNMessage(.successResponse, transactionID: request.transactionID, attributes: attributes)
            if minimal.encoded(fingerprint: decoded.hasFingerprint).count + 4 + value.count <= limit {
                attributes.append(.other(type: Self.otherAddressType, value: value))
            }
        }
        let response = STUNMessage(.successResponse, transactionID: request.transactionID, attributes: attributes)
        return bounded(response.encoded(fingerprint: decoded.hasFingerprint), origin: origin, request: bytes, source)
    }

    /// The reply, unless it is larger than the request plus the allowance (then nothing, and counted).
    private mutating func bounded(
        _ reply: [UInt8],
        origin: Origin,
        request: [UInt8],
        _ source: TransportAddress
    ) -> Reply? {
        guard reply.count <= request.count + Self.allowance(for: source) else {
            oversizeDropped += 1
            return nil
        }
        return Reply(bytes: reply, origin: origin)
    }

    private func changeFlags(_ request: STUNMessage) -> UInt32? {
        request.first {
            if case .other(Self.changeRequestType, let v) = $0, v.count == 4 {
                UInt32(v[0]) << 24 | UInt32(v[1]) << 16 | UInt32(v[2]) << 8 | UInt32(v[3])
            } else {
                nil
            }
        }
    }

    /// MAPPED-ADDRESS-style value (RFC 5780 OTHER-ADDRESS uses that encoding).
    static func addressValue(_ address: TransportAddress) -> [UInt8] {
        [0, address.ip.isIPv4 ? 1 : 2, UInt8(address.port >> 8), UInt8(address.port & 0xFF)] + address.ip.bytes
    }
}
