import MeshCore

/// What the circuit breaker allows before it refuses a send (token buckets) and before it trips on its own
/// (anomaly thresholds: `count` events within `window`). The defaults stop a runaway agent without getting in the
/// way of a busy one (a 2,000-message burst to one peer, as `meshbench e2e` sends, passes); the owner tightens
/// them in config.json (`breaker`).
public struct BreakerLimits: Hashable, Sendable {
    /// Sends (messages and knocks) to one peer, and with one intent.
    public var perPeer = TokenRate(perSecond: 100, burst: 5_000)
    public var perIntent = TokenRate(perSecond: 200, burst: 10_000)
    /// Peers and intents tracked at once (bounded tables; see `KeyedRateLimiter`).
    public var maximumTrackedPeers = 4_096
    public var maximumTrackedIntents = 256

    /// A spike in send rate: this many sends within the window trips the breaker.
    public var sendSpike = Threshold(count: 20_000, window: .seconds(60))
    /// A flood of new contacts: this many knocks accepted (contacts made) within the window.
    public var newContacts = Threshold(count: 50, window: .seconds(600))
    /// Repeated decrypt failures: this many envelopes that would not decrypt within the window.
    public var decryptFailures = Threshold(count: 50, window: .seconds(600))
    /// Sending to many new peers in a short time: this many first sends (knocks) within the window.
    public var newPeers = Threshold(count: 30, window: .seconds(600))

    /// The largest threshold count (each window keeps that many instants).
    public static let maximumThresholdCount = 100_000

    public init() {}

    /// `count` events within `window`; a count of 0 turns the check off.
    public struct Threshold: Hashable, Sendable {
        public var count: Int
        public var window: Duration

        public init(count: Int, window: Duration) {
            self.count = max(count, 0)
            self.window = window
        }
    }
}
