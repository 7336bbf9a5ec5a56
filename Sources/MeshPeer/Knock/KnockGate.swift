import MeshCore

/// The checks a node runs on an incoming knock before any Diffie-Hellman, prekey use or database write, cheapest
/// first: size, decoding, recipient, token, time window, replay, proof of work, signature, then the sender's and the
/// global rate. A knock that passes is remembered (replays are refused from then on) and has spent one token from
/// each bucket; a refused knock changes nothing but the refusal counters (so forged knocks cannot spend a real
/// sender's allowance or fill the replay memory).
///
/// Sans-IO: `now` comes with every call; nothing here reads a clock or the network.
public struct KnockGate: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// How far `issuedAt` may be from our clock, either way.
        public var maximumClockSkew: Duration
        /// Knock IDs remembered for replay detection (see `ReplayMemory`).
        public var replayCapacity: Int
        /// Knocks per sender key.
        public var senderRate: TokenRate
        /// Sender keys tracked at once (oldest forgotten first).
        public var maximumTrackedSenders: Int
        /// Knocks from everyone together.
        public var globalRate: TokenRate

        public init(
            maximumClockSkew: Duration = .seconds(600),
            replayCapacity: Int = 16_384,
            senderRate: TokenRate = .init(perSecond: 1.0 / 60, burst: 3),
            maximumTrackedSenders: Int = 4_096,
            globalRate: TokenRate = .init(perSecond: 10, burst: 50)
        ) {
            self.maximumClockSkew = maximumClockSkew
            self.replayCapacity = replayCapacity
            self.senderRate = senderRate
            self.maximumTrackedSenders = maximumTrackedSenders
            self.globalRate = globalRate
        }
    }

    public let configuration: Configuration
    /// Refusals so far, by code (every code present, from 0).
    public private(set) var refusals: [KnockRefusal.Code: Int]
    public private(set) var admitted = 0
    private var replays: ReplayMemory
    private var senders: KeyedRateLimiter<Ed25519.PublicKey>
    private var global: KeyedRateLimiter<Bool>

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        refusals = Dictionary(uniqueKeysWithValues: KnockRefusal.Code.allCases.map { ($0, 0) })
        replays = ReplayMemory(capacity: configuration.replayCapacity)
        senders = KeyedRateLimiter(rate: configuration.senderRate, capacity: configuration.maximumTrackedSenders)
        global = KeyedRateLimiter(rate: configuration.globalRate, capacity: 1)
    }

    /// Decodes an encoded `MeshEnvelope` (the relay envelope's payload) that should hold a knock, and runs every check.
    ///
    /// - Parameters:
    ///   - ours: our identity key.
    ///   - tokens: the knock tokens we accept (current and previous).
    ///   - difficulty: the proof-of-work bits our record asks for.
    public mutating func admit(
        _ bytes: [UInt8],
        ours: Ed25519.PublicKey,
        tokens: [KnockToken],
        difficulty: UInt8,
        now: Timestamp
    ) -> Result<KnockFrame, KnockRefusal> {
        guard bytes.count <= KnockFrame.maximumEnvelopeByteCount else {
            return refuse(.oversize, "\(bytes.count) bytes; a knock is at most \(KnockFrame.maximumEnvelopeByteCount)")
        }
        let frame: KnockFrame
        do {
            guard case .knock(let decoded) = try MeshEnvelope.decode(bytes) else {
                return refuse(.malformed, "a session frame where a knock was expected")
            }
            frame = decoded
        } catch {
            return refuse(.malformed, "\(error)")
        }
        return admit(frame, ours: ours, tokens: tokens, difficulty: difficulty, now: now)
    }

    /// The checks after decoding, for a caller that already decoded the envelope (it checked the size first).
    public mutating func admit(
        _ frame: KnockFrame,
        ours: Ed25519.PublicKey,
        tokens: [KnockToken],
        difficulty: UInt8,
        now: Timestamp
    ) -> Result<KnockFrame, KnockRefusal> {
        guard frame.recipient == ours else { return refuse(.wrongRecipient, "addressed to another agent") }
        guard tokens.contains(frame.token) else { return refuse(.staleToken, "token \(frame.token) is not current") }
        let skew = configuration.maximumClockSkew
        guard frame.issuedAt >= now - skew, frame.issuedAt <= now + skew else {
            return refuse(.outsideWindow, "issued at \(frame.issuedAt), now is \(now)")
        }
        guard !replays.contains(frame.knockID) else { return refuse(.replay, "knock \(frame.knockID) seen before") }
        guard frame.meetsWork(difficulty) else {
            return refuse(.insufficientWork, "proof of work below \(difficulty) bits")
        }
        guard frame.verifySignature() else { return refuse(.badSignature, "the signature does not verify") }
        guard senders.wouldAllow(frame.sender, now: now) else {
            return refuse(.senderRateLimited, "\(frame.sender.did) knocks too often")
        }
        guard global.allow(true, now: now) else { return refuse(.globalRateLimited, "too many knocks") }
        _ = senders.allow(frame.sender, now: now)
        replays.insert(frame.knockID, expiry: frame.issuedAt + skew, now: now)
        admitted += 1
        return .success(frame)
    }

    private mutating func refuse(_ code: KnockRefusal.Code, _ reason: String) -> Result<KnockFrame, KnockRefusal> {
        refusals[code, default: 0] += 1
        return .failure(KnockRefusal(code, reason))
    }
}
