import Kademlia
import MeshCore

/// The indexer's crawl as a sans-IO state machine (design rule 1; decision 0088).
///
/// It walks the DHT breadth-first with ordinary requests: every contact it hears of is probed once with
/// `findNode(its own ID)`, which proves the node's key (so its DID) and returns its nearest neighbours; every node
/// that answered is then asked for its own agent record with `findValue`, and asked again every
/// `revisitInterval`. Inputs are `seed(_:now:)` and `handle(_:now:)`; `nextProbes(now:)` returns what to send,
/// within the rate and in-flight bounds; `pollTimeout(now:)` says when to ask again. Records arrive already
/// validated by the Kademlia core (signature, expiry, key); `handle` returns them as findings for the mirror,
/// whose sequence rule decides whether they replace what it has.
public struct Crawler: Sendable {
    public let config: CrawlerConfig
    public private(set) var stats = CrawlStats()
    var random: any RandomSource
    var bucket: TokenBucket
    var nodes: [NodeID: CrawlNode] = [:]
    /// Nodes to probe with `findNode`, oldest first.
    var discovery = CrawlQueue<NodeID>()
    /// Nodes whose record to fetch (first time or revisit), in the order they became due.
    var fetches = CrawlQueue<NodeID>()
    /// Nodes waiting for their revisit time, in time order (one interval for all, so a FIFO stays sorted).
    var revisits = CrawlQueue<(id: NodeID, due: Timestamp)>()
    var inFlight: Set<InFlight> = []
    var nextRandomWalk: Timestamp

    public init(config: CrawlerConfig = CrawlerConfig(), random: any RandomSource, now: Timestamp) {
        self.config = config
        self.random = random
        self.bucket = TokenBucket(ratePerSecond: config.requestsPerSecond, capacity: max(config.burst, 1), now: now)
        self.nextRandomWalk = now
    }

    /// Contacts to start from (the crawler node's routing table after it bootstrapped).
    public mutating func seed(_ contacts: [Contact], now: Timestamp) {
        for contact in contacts { learn(contact) }
    }

    public var knownNodes: Int { nodes.count }
    public var probesInFlight: Int { inFlight.count }

    /// The probes to send now: record fetches first (they finish agents), then discovery, then a random walk.
    public mutating func nextProbes(now: Timestamp) -> [CrawlProbe] {
        promoteDueRevisits(now: now)
        var probes: [CrawlProbe] = []
        while inFlight.count < config.maximumInFlight, bucket.wouldTake(1, now: now) {
            guard let probe = nextProbe(now: now) else { break }
            _ = bucket.take(1, now: now)
            inFlight.insert(InFlight(node: probe.contact.id, request: probe.request))
            stats.probesSent += 1
            probes.append(probe)
        }
        return probes
    }

    /// The next instant `nextProbes` may have something to send, or nil when only a reply (or a timeout, which
    /// the Kademlia core reports as one) can change anything. An adapter sleeps until then or the next reply,
    /// so an idle crawler wakes once per `randomWalkInterval` (or revisit), not on a fixed tick. Work that is
    /// due waits for the token bucket too, so the answer is never an instant at which nothing can be sent.
    public func pollTimeout(now: Timestamp) -> Timestamp? {
        guard inFlight.count < config.maximumInFlight else { return nil }
        var due: Timestamp?
        if !fetches.isEmpty || !discovery.isEmpty {
            due = now
        } else {
            if !nodes.isEmpty { due = nextRandomWalk }
            if let revisit = revisits.first?.due { due = min(due ?? revisit, revisit) }
        }
        guard let due else { return nil }
        let missing = max(0, 1 - bucket.tokens)
        let wait = Duration.nanoseconds(Int64((missing / config.requestsPerSecond * 1e9).rounded(.up)))
        return max(due, bucket.updated + wait)
    }

    /// Takes one probe's outcome; returns the verified agent records it carried.
    public mutating func handle(_ result: ProbeResult, now: Timestamp) -> [CrawlFinding] {
        let id = result.contact.id
        guard inFlight.remove(InFlight(node: id, request: result.request)) != nil else { return [] }
        guard var node = nodes[id] else { return [] }
        if !result.answered, result.contact.address != node.address {
            // Sent to an address the node has since left (`learn`): no failure of where it is now; ask there.
            discovery.append(id)
            return []
        }
        if !result.answered {
            stats.probesTimedOut += 1
            node.failures += 1
            if node.failures >= config.failuresBeforeForgetting {
                nodes[id] = nil
                stats.nodesForgotten += 1
                return []
            }
            nodes[id] = node
            schedule(id, after: result.request, now: now)
            return []
        }
        node.failures = 0
        node.retargeted = false
        if node.did == nil, let key = result.senderKey {
            node.did = key.did
            stats.nodesAnswered += 1
        }
        nodes[id] = node
        for contact in result.contacts { learn(contact) }
        schedule(id, after: result.request, now: now)
        guard case .findValue = result.request, let record = result.record, record.type == .agent,
            let did = node.did, record.key == AgentRecord.key(forDID: did)
        else { return [] }
        stats.recordsVerified += 1
        return [CrawlFinding(did: did, record: record, source: result.contact.address, seenAt: now)]
    }

    // MARK: Internals

    mutating func learn(_ contact: Contact) {
        if var known = nodes[contact.id] {
            // A node that stopped answering where we have it, now heard of at another address (it restarted on
            // another port, or its NAT rebound), is asked there once, with a findNode that proves its key. A node
            // that answers keeps its address, so nobody can move it by naming another.
            if known.failures > 0, !known.retargeted, known.address != contact.address {
                known.address = contact.address
                known.retargeted = true
                nodes[contact.id] = known
                // A findNode still out to the old address is answered for by `handle`, which asks again here.
                if !inFlight.contains(InFlight(node: contact.id, request: .findNode(contact.id))) {
                    discovery.append(contact.id)
                }
            }
            return
        }
        guard nodes.count < config.maximumNodes else {
            stats.nodesDropped += 1
            return
        }
        nodes[contact.id] = CrawlNode(address: contact.address)
        stats.nodesSeen += 1
        discovery.append(contact.id)
    }

    /// After a findNode the node's record is fetched; after a fetch (or a failed probe) it waits for its revisit.
    mutating func schedule(_ id: NodeID, after request: ProbeRequest, now: Timestamp) {
        guard let node = nodes[id] else { return }
        if case .findNode = request, node.did != nil {
            fetches.append(id)
        } else if node.did != nil {
            revisits.append((id, now + config.revisitInterval))
        } else {
            discovery.append(id)
        }
    }

    mutating func promoteDueRevisits(now: Timestamp) {
        while let first = revisits.first, first.due <= now {
            revisits.removeFirst()
            if nodes[first.id] != nil { fetches.append(first.id) }
        }
    }

    mutating func nextProbe(now: Timestamp) -> CrawlProbe? {
        while let id = fetches.popFirst() {
            guard let node = nodes[id], let did = node.did else { continue }
            return CrawlProbe(
                request: .findValue(AgentRecord.key(forDID: did)),
                contact: Contact(id: id, address: node.address)
            )
        }
        while let id = discovery.popFirst() {
            guard let node = nodes[id] else { continue }
            return CrawlProbe(request: .findNode(id), contact: Contact(id: id, address: node.address))
        }
        guard now >= nextRandomWalk, !nodes.isEmpty else { return nil }
        nextRandomWalk = now + config.randomWalkInterval
        guard let target = try? NodeID(bytes: random.bytes(count: NodeID.byteCount)) else { return nil }
        let keys = Array(nodes.keys)
        let id = keys[Int(random.next() % UInt64(keys.count))]
        guard let node = nodes[id] else { return nil }
        return CrawlProbe(request: .findNode(target), contact: Contact(id: id, address: node.address))
    }
}

/// One probe the adapter must send through the Kademlia core (`KademliaNode.probe`).
public struct CrawlProbe: Hashable, Sendable {
    public var request: ProbeRequest
    public var contact: Contact
}

/// A verified agent record the crawl found, and the address that served it (the mirror bounds agents per source).
public struct CrawlFinding: Sendable {
    /// The DID whose record key `record` is under (the node proved it by signing its reply), so the mirror can
    /// tell an unchanged record from a new one before anything else is checked.
    public var did: String
    public var record: ValidatedRecord
    public var source: TransportAddress
    public var seenAt: Timestamp

    public init(did: String, record: ValidatedRecord, source: TransportAddress, seenAt: Timestamp) {
        self.did = did
        self.record = record
        self.source = source
        self.seenAt = seenAt
    }
}

struct CrawlNode: Sendable {
    var address: TransportAddress
    var did: String?
    var failures = 0
    /// Moved to another address since it last answered (`learn`): at most once until it answers again.
    var retargeted = false
}

struct InFlight: Hashable, Sendable {
    var node: NodeID
    var request: ProbeRequest
}
