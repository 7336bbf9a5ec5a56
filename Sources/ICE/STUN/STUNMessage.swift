import MeshCore

/// A STUN message (RFC 8489 §5): class, method, 96-bit transaction ID and attributes. MESSAGE-INTEGRITY,
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are computed by `encoded(...)`, not stored as attributes.
public struct STUNMessage: Hashable, Sendable {
    public enum Class: UInt16, Sendable {
        case request = 0
        case indication = 1
        case successResponse = 2
        case errorResponse = 3
    }

    public static let bindingMethod: UInt16 = 0x001
    public static let headerByteCount = 20
    static let fingerprintXOR: UInt32 = 0x5354_554E

    public var messageClass: Class
    public var method: UInt16
    /// Exactly 12 bytes.
    public var transactionID: [UInt8]
    public var attributes: [STUNAttribute]

    public init(
        _ messageClass: Class,
        method: UInt16 = STUNMessage.bindingMethod,
        transactionID: [UInt8],
        attributes: [STUNAttribute] = []
    ) {
        precondition(transactionID.count == 12, "a STUN transaction ID is 12 bytes")
        self.messageClass = messageClass
        self.method = method
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// The 14-bit message type field: method bits interleaved with the two class bits.
    var typeField: UInt16 {
        let m = method & 0xFFF
        let c = messageClass.rawValue
        return (m & 0xF80) << 2 | (m & 0x70) << 1 | (m & 0xF) | (c & 2) << 7 | (c & 1) << 4
    }

    static func split(typeField: UInt16) -> (method: UInt16, messageClass: Class) {
        let method = (typeField & 0x3E00) >> 2 | (typeField & 0xE0) >> 1 | (typeField & 0xF)
        let bits = (typeField & 0x100) >> 7 | (typeField & 0x10) >> 4
        return (method, Class(rawValue: bits)!)
    }

    /// The first attribute of a kind, for the common single-valued lookups.
    public func first<T>(_ pick: (STUNAttribute) -> T?) -> T? {
        for attribute in attributes { if let value = pick(attribute) { return value } }
        return nil
    }

    public var username: String? { first { if case .username(let u) = $0 { u } else { nil } } }
    public var priority: UInt32? { first { if case .priority(let p) = $0 { p } else { nil } } }
    public var useCandidate: Bool { first { if case .useCandidate = $0 { true } else { nil } } ?? false }
    public var xorMappedAddress: TransportAddress? {
        first { if case .xorMappedAddress(let a) = $0 { a } else { nil } }
    }
    public var mappedAddress: TransportAddress? {
        first { if case .mappedAddress(let a) = $0 { a } else { nil } }
    }
    public var errorCode: Int? { first { if case .errorCode(let code, _) = $0 { code } else { nil } } }
    public var iceControlling: UInt64? { first { if case .iceControlling(let t) = $0 { t } else { nil } } }
    public var iceControlled: UInt64? { first { if case .iceControlled(let t) = $0 { t } else { nil } } }

    /// The one demultiplexing test for sockets that carry STUN beside other protocols (the DHT port, the direct
    /// channel): RFC 8489 section 5 and RFC 7983. The top two bits are zero, bytes 4-7 hold the magic cookie, and
    /// the length field is a multiple of 4 that covers exactly the rest of the datagram. The last rule matters on
    /// the DHT port: a datagram that merely starts like STUN but is cut short or padded goes to the other protocol,
    /// whose decoder rejects it, instead of to the STUN handler.
    public static func looksLikeSTUN(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= headerByteCount, bytes[0] & 0xC0 == 0 else { return false }
        guard bytes[4] == 0x21, bytes[5] == 0x12, bytes[6] == 0xA4, bytes[7] == 0x42 else { return false }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        return length % 4 == 0 && length == bytes.count - headerByteCount
    }
}
