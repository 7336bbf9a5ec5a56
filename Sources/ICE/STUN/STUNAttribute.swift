import MeshCore

/// The STUN attributes we understand (RFC 8489 §14, RFC 8445 §16.1). Anything else is kept as `.other` so a
/// server can answer 420 for unknown comprehension-required types (below 0x8000) and ignore the rest.
public enum STUNAttribute: Hashable, Sendable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case username(String)
    case messageIntegrity([UInt8])
    case messageIntegritySHA256([UInt8])
    case fingerprint(UInt32)
    case errorCode(code: Int, reason: String)
    case unknownAttributes([UInt16])
    case software(String)
    case priority(UInt32)
    case useCandidate
    case iceControlled(tieBreaker: UInt64)
    case iceControlling(tieBreaker: UInt64)
    case other(type: UInt16, value: [UInt8])

    /// Attribute type codes.
    public enum Kind {
        public static let mappedAddress: UInt16 = 0x0001
        public static let username: UInt16 = 0x0006
        public static let messageIntegrity: UInt16 = 0x0008
        public static let errorCode: UInt16 = 0x0009
        public static let unknownAttributes: UInt16 = 0x000A
        public static let messageIntegritySHA256: UInt16 = 0x001C
        public static let xorMappedAddress: UInt16 = 0x0020
        public static let priority: UInt16 = 0x0024
        public static let useCandidate: UInt16 = 0x0025
        public static let software: UInt16 = 0x8022
        public static let fingerprint: UInt16 = 0x8028
        public static let iceControlled: UInt16 = 0x8029
        public static let iceControlling: UInt16 = 0x802A
    }

    public var type: UInt16 {
        switch self {
        case .mappedAddress: Kind.mappedAddress
        case .xorMappedAddress: Kind.xorMappedAddress
        case .username: Kind.username
        case .messageIntegrity: Kind.messageIntegrity
        case .messageIntegritySHA256: Kind.messageIntegritySHA256
        case .fingerprint: Kind.fingerprint
        case .errorCode: Kind.errorCode
        case .unknownAttributes: Kind.unknownAttributes
        case .software: Kind.software
        case .priority: Kind.priority
        case .useCandidate: Kind.useCandidate
        case .iceControlled: Kind.iceControlled
        case .iceControlling: Kind.iceControlling
        case .other(let type, _): type
        }
    }

    /// Types below 0x8000 must be understood by the receiver (RFC 8489 §14).
    public static func isComprehensionRequired(_ type: UInt16) -> Bool { type < 0x8000 }
}

/// Limits on what the decoder accepts from the network (design rule: bound everything).
public enum STUNLimits {
    /// Larger than any path MTU we send over; a Binding message is far smaller.
    public static let maximumMessageBytes = 1_500
    public static let maximumAttributes = 32
    /// RFC 8489 §14.3 and §14.9: USERNAME under 513 bytes, SOFTWARE under 128 characters (763 bytes).
    public static let maximumUsernameBytes = 512
    public static let maximumSoftwareBytes = 763
    public static let maximumReasonBytes = 763
}
