import MeshCore

/// Every tunable of a Kademlia node, with the defaults docs/kademlia.md explains.
///
/// Tests and the multi-process mesh shrink the TTLs to seconds; production keeps them in minutes, so the network
/// shows who is online now (libp2p keeps provider records 48 h; BEP 44 items live 2 h).
public struct KademliaConfig: Sendable {
    /// Bucket size and replication factor (Kademlia paper, libp2p).
    public var k = 20
    /// Parallel requests per lookup (per path). Ten, as the IPFS Amino DHT uses, not the paper's three (decision
    /// 0113): a lookup waits less on each slow, departed or lying candidate, for about 40 % more messages.
    public var alpha = 10
    /// S/Kademlia disjoint lookup paths: 1 is plain Kademlia; more resist eclipsing liars at more messages.
    public var disjointPaths = 1
    /// A value lookup that holds a record ends once this share of the k closest live candidates (of each path) has
    /// answered: the newest record is kept among what they gave (decision 0106). The rest, often dead or slow nodes,
    /// would each cost a `slowRequestAfter` wait; an attacker must now hold more than this share of the k closest,
    /// and be faster than the honest storers among them, to choose the answer. 1 hears all of them (decision 0105).
    public var valueLookupQuorum = 0.75
    /// A request unanswered this long has failed.
    public var requestTimeout: Duration = .seconds(2)
    /// A request unanswered this long stops occupying one of the α slots (its late answer is still used).
    public var slowRequestAfter: Duration = .milliseconds(400)
    /// Pings sent to one bootstrap seed (the first and its retries) while the table is still empty.
    public var bootstrapAttempts = 3
    /// A node whose table is still empty after those pings asks its seeds again this often, for as long as it is
    /// alone: a seed that was down when the node started must not leave it alone for good (the DHT race saw 2 of
    /// 18 runs under load end with a node that never joined).
    public var lonelyRetryInterval: Duration = .seconds(30)
    /// The bound on any single lookup.
    public var lookupTimeout: Duration = .seconds(10)
    /// How long a record we publish lives, and how often we re-sign and re-publish it.
    public var recordTTL: Duration = .seconds(30 * 60)
    public var republishInterval: Duration = .seconds(10 * 60)
    /// The longest lifetime a node accepts from anyone else's record.
    public var maximumRecordLifetime: Duration = .seconds(2 * 60 * 60)
    /// How often expired records are swept.
    public var expirySweepInterval: Duration = .seconds(30)
    /// A bucket untouched this long is refreshed with a lookup of a random ID in it.
    public var bucketRefreshInterval: Duration = .seconds(15 * 60)
    /// Write tokens stay valid for two rotations (BEP 5 rotates every 5 minutes and accepts the previous secret).
    public var tokenRotationInterval: Duration = .seconds(5 * 60)
    /// A signed message's timestamp must lie within this of our clock.
    public var maximumClockSkew: Duration = .seconds(120)
    /// The largest datagram we send or accept.
    public var maximumDatagram = 4_096
    /// Per-source token bucket: burst and sustained messages per second; sources tracked at once. A source is an IP
    /// address, except on loopback, where every port is a separate process on this host (see `TransportAddress.rateLimitKey`).
    public var rateLimitBurst = 200
    public var rateLimitPerSecond = 100
    public var rateLimitSources = 4_096
    /// Storage bounds.
    public var maximumValues = 10_000
    public var maximumProviderKeys = 10_000
    public var maximumProvidersPerKey = 64
    /// IP diversity: contacts per /24 (IPv6 /48) per bucket and in the whole table. `nil` disables the limit.
    public var maximumPerPrefixPerBucket: Int? = 2
    public var maximumPerPrefixInTable: Int? = 10
    /// Loopback, private and lab addresses are exempt from the diversity limits unless this is false.
    public var exemptLocalAddressesFromDiversity = true
    /// Queue bounds: outstanding requests, concurrent lookups, undelivered events.
    public var maximumPendingRequests = 4_096
    public var maximumLookups = 256
    public var eventCapacity = 1_024
    /// When a full bucket turns a new contact away, its least-recently-seen entry is pinged if it has been silent
    /// this long (BEP 5's "questionable" node); failing to answer counts towards its eviction.
    public var questionableAfter: Duration = .seconds(15 * 60)
    /// Consecutive failures after which a contact leaves the table (a replacement takes its place).
    public var failuresBeforeEviction = 2

    /// A read-only node (a short-lived CLI client) asks but is never added to anyone's table (BEP 43).
    public var readOnly = false

    /// Whether the node takes and sends pair tags (decision 0124): to a peer that takes them and whose key it
    /// knows, it authenticates a datagram with an HMAC under their shared X25519 key instead of a signature. Off,
    /// it signs everything and says nothing of tags, as a node from before them did (tests, and a measurement of
    /// what tags buy: `dht serve --pair-tags off`, hidden).
    public var pairTags = true
    /// The peers whose keys and pair keys a node remembers at once; the oldest is forgotten first.
    public var maximumPairKeys = 4_096

    public init() {}
}
