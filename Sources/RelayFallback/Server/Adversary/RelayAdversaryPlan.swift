import MeshCore

/// How a hostile relay misbehaves (issue 19): each field is the probability, per envelope it handles, of one
/// attack. A relay runs a plan only in a lab (`meshpeer relay --lab` with an `adversary` section in its config);
/// it exists so that tests can put a real relay that lies between two real nodes and check what the agents see.
public struct RelayAdversaryPlan: Codable, Hashable, Sendable {
    /// Seeds the schedule, so a failing run can be replayed.
    public var seed: UInt64
    /// A live delivery is never written.
    public var drop: Double
    /// A live delivery is held back for up to `maximumDelayMilliseconds`; later ones overtake it (reordering).
    public var delay: Double
    /// A live delivery is written twice.
    public var duplicate: Double
    /// An envelope delivered earlier (acknowledged or not) is written again to the connection it went to.
    public var replay: Double
    /// One bit of a delivery's payload is flipped.
    public var flip: Double
    /// A delivery goes to another logged-in client instead of its recipient.
    public var misdeliver: Double
    /// An envelope for an offline recipient is answered `stored` and never written to disk.
    public var lieStored: Double
    /// The login challenge names a key that is not the relay's.
    public var wrongIdentity: Double
    public var maximumDelayMilliseconds: Int
    /// Each attack with a probability above 0 happens at its first chance, and by its probability after that: a
    /// test that checks the relay really performed every attack then cannot fail by the luck of the draw (at 6 %
    /// per envelope over 130 envelopes, no drop at all happened in about one run in several thousand).
    public var everyAttackOnce: Bool

    public init(
        seed: UInt64,
        drop: Double = 0,
        delay: Double = 0,
        duplicate: Double = 0,
        replay: Double = 0,
        flip: Double = 0,
        misdeliver: Double = 0,
        lieStored: Double = 0,
        wrongIdentity: Double = 0,
        maximumDelayMilliseconds: Int = 2_000,
        everyAttackOnce: Bool = false
    ) {
        self.seed = seed
        self.drop = drop
        self.delay = delay
        self.duplicate = duplicate
        self.replay = replay
        self.flip = flip
        self.misdeliver = misdeliver
        self.lieStored = lieStored
        self.wrongIdentity = wrongIdentity
        self.maximumDelayMilliseconds = maximumDelayMilliseconds
        self.everyAttackOnce = everyAttackOnce
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, drop, delay, duplicate, replay, flip, misdeliver, lieStored, wrongIdentity
        case maximumDelayMilliseconds, everyAttackOnce
    }

    /// Every key but `seed` is optional (0); unknown keys and probabilities outside 0...1 are refused.
    public init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let keys = try decoder.container(keyedBy: AnyCodingKey.self)
        if let unknown = keys.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown,
                in: keys,
                debugDescription: "unknown adversary key '\(unknown.stringValue)'"
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seed = try container.decode(UInt64.self, forKey: .seed)
        func probability(_ key: CodingKeys) throws -> Double {
            let value = try container.decodeIfPresent(Double.self, forKey: key) ?? 0
            guard (0...1).contains(value) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: container,
                    debugDescription: "'\(key.stringValue)' is a probability between 0 and 1, not \(value)"
                )
            }
            return value
        }
        drop = try probability(.drop)
        delay = try probability(.delay)
        duplicate = try probability(.duplicate)
        replay = try probability(.replay)
        flip = try probability(.flip)
        misdeliver = try probability(.misdeliver)
        lieStored = try probability(.lieStored)
        wrongIdentity = try probability(.wrongIdentity)
        maximumDelayMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .maximumDelayMilliseconds) ?? 2_000
        everyAttackOnce = try container.decodeIfPresent(Bool.self, forKey: .everyAttackOnce) ?? false
        guard (0...60_000).contains(maximumDelayMilliseconds) else {
            throw DecodingError.dataCorruptedError(
                forKey: .maximumDelayMilliseconds,
                in: container,
                debugDescription: "'maximumDelayMilliseconds' is 0...60000"
            )
        }
    }

}
