import MeshCore

/// The ICE side of a direct-path offer or answer, as plain fields: the node's core needs no ICE types to carry it,
/// and any ICE agent can read the candidates (SDP candidate lines, RFC 8839).
public struct PathICE: Hashable, Sendable {
    public static let maximumCandidates = 32
    public static let maximumCandidateBytes = 256
    public static let maximumCredentialBytes = 256

    public var ufrag: String
    public var pwd: String
    public var candidates: [String]
    /// True once the sender has gathered everything (RFC 8838 end-of-candidates).
    public var endOfCandidates: Bool
    /// The sender's NAT mapping behaviour and public address for port prediction (decision 0051); empty when
    /// unknown.
    public var natMapping: String
    public var natPublicIP: String

    public init(
        ufrag: String,
        pwd: String,
        candidates: [String],
        endOfCandidates: Bool,
        natMapping: String = "",
        natPublicIP: String = ""
    ) {
        self.ufrag = ufrag
        self.pwd = pwd
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
        self.natMapping = natMapping
        self.natPublicIP = natPublicIP
    }
}

/// A sender's NAT hint for port prediction (decision 0051): its mapping behaviour and public address, empty when
/// unknown. It rides in the offer or answer (`PathICE`), or, when the sender trickles, in the `candidates` signal that
/// follows gathering, since only the STUN answers tell it.
public struct PathNAT: Hashable, Sendable {
    public var mapping: String
    public var publicIP: String

    public static let unknown = PathNAT(mapping: "", publicIP: "")

    public init(mapping: String, publicIP: String) {
        self.mapping = mapping
        self.publicIP = publicIP
    }

    public var isUnknown: Bool { mapping.isEmpty }
}

/// One direct-path signalling message. Signals travel only inside the Double Ratchet session (session payload
/// kind 5), so they are confidential, authenticated as the contact, and replay-proof (a replayed envelope fails
/// to open or is a duplicate by message ID); `sentAt` lets the receiver refuse a stale one that a relay held.
///
/// Every signal names its attempt: a 64-bit random ID chosen by the offerer. The offer carries a tie-break drawn
/// independently of the ICE role (which can flip on a role conflict), so two agents that offer at once agree on
/// whose attempt survives: the higher tie-break.
public enum PathSignal: Hashable, Sendable {
    case offer(Offer)
    case answer(Answer)
    /// Trickled candidates for a running attempt (RFC 8838), possibly just the end-of-candidates mark, and the
    /// sender's NAT hint once its gathering has learnt it.
    case candidates(
        attempt: UInt64,
        sentAt: Timestamp,
        candidates: [String],
        endOfCandidates: Bool,
        nat: PathNAT = .unknown
    )
    /// The recipient does not take direct paths (or not now): the offerer stays on the relay and backs off.
    case decline(attempt: UInt64, sentAt: Timestamp, reason: String)
    /// The sender closed the attempt or its channel: the receiver falls back to the relay at once instead of
    /// waiting for the channel's own timeout.
    case close(attempt: UInt64, sentAt: Timestamp, reason: String)

    public struct Offer: Hashable, Sendable {
        public var attempt: UInt64
        public var sentAt: Timestamp
        public var tieBreak: UInt64
        /// The offerer's channel ID: the ID the answerer's packets must name.
        public var channelID: UInt64
        /// Channel ciphers the offerer supports, preferred first (`ChannelCipher` raw values).
        public var ciphers: [String]
        /// The offerer's fresh half of the channel secret (32 random bytes, never reused).
        public var share: [UInt8]
        public var ice: PathICE

        public init(
            attempt: UInt64,
            sentAt: Timestamp,
            tieBreak: UInt64,
            channelID: UInt64,
            ciphers: [String],
            share: [UInt8],
            ice: PathICE
        ) {
            self.attempt = attempt
            self.sentAt = sentAt
            self.tieBreak = tieBreak
            self.channelID = channelID
            self.ciphers = ciphers
            self.share = share
            self.ice = ice
        }
    }

    public struct Answer: Hashable, Sendable {
        public var attempt: UInt64
        public var sentAt: Timestamp
        public var channelID: UInt64
        /// The cipher the answerer chose from the offer.
        public var cipher: String
        /// The answerer's fresh half of the channel secret.
        public var share: [UInt8]
        public var ice: PathICE

        public init(
            attempt: UInt64,
            sentAt: Timestamp,
            channelID: UInt64,
            cipher: String,
            share: [UInt8],
            ice: PathICE
        ) {
            self.attempt = attempt
            self.sentAt = sentAt
            self.channelID = channelID
            self.cipher = cipher
            self.share = share
            self.ice = ice
        }
    }

    public var attempt: UInt64 {
        switch self {
        case .offer(let offer): offer.attempt
        case .answer(let answer): answer.attempt
        case .candidates(let attempt, _, _, _, _), .decline(let attempt, _, _), .close(let attempt, _, _): attempt
        }
    }

    public var sentAt: Timestamp {
        switch self {
        case .offer(let offer): offer.sentAt
        case .answer(let answer): answer.sentAt
        case .candidates(_, let sentAt, _, _, _), .decline(_, let sentAt, _), .close(_, let sentAt, _): sentAt
        }
    }

    public static let shareByteCount = 32
    public static let maximumCiphers = 4
    public static let maximumCipherNameBytes = 32
    public static let maximumReasonBytes = 128
}
