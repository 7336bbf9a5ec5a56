import MeshCore

/// ICE credentials (RFC 8445 §5.3): a ufrag of at least 4 and a password of at least 22 ice-chars.
public struct ICECredentials: Hashable, Sendable, Codable {
    public var ufrag: String
    public var pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    /// 8 random ice-chars of ufrag and 24 of password (144 bits), from the injected generator.
    public static func random<R: RandomSource>(using random: inout R) -> ICECredentials {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func make(_ count: Int) -> String {
            String(random.bytes(count: count).map { alphabet[Int($0 & 63)] })
        }
        return ICECredentials(ufrag: make(8), pwd: make(24))
    }

    /// RFC 8445 §5.3 lengths and RFC 8839 ice-char set; bounded so a peer cannot hand us huge strings.
    public var isValid: Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return (4...256).contains(ufrag.count) && (22...256).contains(pwd.count)
            && ufrag.allSatisfy(allowed.contains) && pwd.allSatisfy(allowed.contains)
    }
}

/// What one side sends the other, inside the encrypted session: credentials and candidates (offer or answer),
/// later followed by trickle updates. Candidates travel as SDP candidate strings so any ICE agent can read them.
public struct ICEDescription: Hashable, Sendable, Codable {
    public static let maximumCandidates = 32

    public var credentials: ICECredentials
    public var candidates: [String]
    /// True once the sender has gathered everything (RFC 8838 end-of-candidates).
    public var endOfCandidates: Bool
    /// The sender's NAT mapping behaviour and public address, for port prediction (decision 0051). Optional:
    /// descriptions without it decode as before, and peers that ignore it simply never predict.
    public var nat: ICENATHint?

    public init(credentials: ICECredentials, candidates: [Candidate], endOfCandidates: Bool, nat: ICENATHint? = nil) {
        self.credentials = credentials
        self.candidates = candidates.map(\.sdp)
        self.endOfCandidates = endOfCandidates
        self.nat = nat
    }

    /// The candidates that parse; invalid lines are dropped, and at most `maximumCandidates` are kept.
    public var parsedCandidates: [Candidate] {
        Array(candidates.prefix(Self.maximumCandidates).compactMap { Candidate(sdp: $0) })
    }
}

/// A trickled candidate or the end-of-candidates mark (RFC 8838), tagged with the sender's ufrag.
public struct ICETrickle: Hashable, Sendable, Codable {
    public var ufrag: String
    public var candidate: String?

    public init(ufrag: String, candidate: Candidate?) {
        self.ufrag = ufrag
        self.candidate = candidate?.sdp
    }
}
