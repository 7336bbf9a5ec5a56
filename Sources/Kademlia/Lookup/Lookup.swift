import MeshCore

/// The three kinds of iterative lookup. Publishing runs a `.findNode` lookup and then writes to its result.
public enum LookupKind: Sendable, Equatable {
    case findNode
    case findValue
    case getProviders
}

/// One iterative lookup's state (sans-IO): which candidates to ask next, and when it is done.
///
/// Classic Kademlia with α parallel requests: ask the α closest unasked candidates among the k closest live ones;
/// finish when the k closest have all answered or failed, or at the deadline. A value lookup does not stop at the
/// first valid record: it keeps the newest among the k closest, so a replayed older record (from a storer near the
/// key, or pushed into our own store) cannot stand in for the one that replaced it (decision 0105); it ends once a
/// quorum of them, at plausible distances, has answered (decision 0106). It asks candidates in the key's
/// neighbourhood at once rather than α at a time, and a candidate implausibly close to the key is asked but takes
/// none of the k places (decision 0114). A request
/// that is slow (past `slowRequestAfter`) stops holding an α slot, so one dead node cannot stall the lookup.
///
/// With `disjointPaths` = d > 1 (S/Kademlia), the seeds are dealt round-robin to d paths; a contact belongs to the
/// path that first named it, so no node is asked by two paths, and each path runs the rule above on its own
/// candidates. The lookup ends when every path has (a provider lookup also at the first answer with providers).
struct Lookup {
    enum State: Equatable {
        case waiting
        case inFlight
        case slow
        case answered
        case failed
    }

    struct Candidate {
        var contact: Contact
        var state: State
        /// The hop at which we learned of it: 1 for contacts from our own table.
        var depth: Int
        /// The disjoint path this candidate belongs to (0 when there is one path).
        var path: Int
        var token: [UInt8] = []

        /// Whether it counts among the k closest live candidates. A slow one (past `slowRequestAfter`) does not:
        /// it may never answer (a departed node, a made-up sybil), and the lookup goes on past it; a late answer
        /// brings it back.
        var holdsAPlace: Bool { state != .failed && state != .slow }
    }

    let id: QueryID
    let kind: LookupKind
    let target: NodeID
    let started: Timestamp
    let deadline: Timestamp
    let k: Int
    let alpha: Int
    let paths: Int
    let quorum: Double
    /// Sorted closest first; bounded to `4 * k` per path so a flood of contacts cannot grow it.
    private(set) var candidates: [Candidate] = []
    private(set) var messagesSent = 0
    /// The best record found, the hop it came from, and when it was validated (a later copy of the very same bytes
    /// gets the same verdict until it expires).
    var foundRecord: (record: ValidatedRecord, depth: Int, checkedAt: Timestamp)?
    var providers: [NodeID: ValidatedRecord] = [:]
    var providerDepth = 0
    /// Contacts sharing this many leading bits with the target are closer than a network of the estimated size is
    /// likely to hold (an eclipse liar's made-up sybils are); one answer may place at most one of them among the
    /// candidates. `Int.max` when the asker cannot estimate the size (fewer than k contacts).
    var implausiblePrefix = Int.max
    /// Contacts sharing this many leading bits with the target are in its neighbourhood, among about the 2k
    /// closest nodes of a network of the estimated size: the nodes a value lookup must hear from anyway (three
    /// quarters of the k closest), so it asks them at once rather than α at a time (decision 0114). `Int.max`
    /// when the asker cannot estimate the size.
    var neighbourhoodPrefix = Int.max

    /// Whether a contact shares fewer leading bits with the target than `implausiblePrefix`: only such candidates
    /// take one of the k places and count towards a value lookup's quorum.
    func isPlausible(_ id: NodeID) -> Bool { target.commonPrefixLength(with: id) < implausiblePrefix }

    init(id: QueryID, kind: LookupKind, target: NodeID, seeds: [Contact], now: Timestamp, config: KademliaConfig) {
        self.id = id
        self.kind = kind
        self.target = target
        self.started = now
        self.deadline = now + config.lookupTimeout
        self.k = config.k
        self.alpha = config.alpha
        self.paths = max(1, config.disjointPaths)
        self.quorum = min(1, max(0, config.valueLookupQuorum))
        for (index, seed) in seeds.enumerated() { add([seed], depth: 1, path: index % paths) }
    }

    /// Merges newly learned contacts, keeping the list sorted and bounded. Of the contacts in one answer, at most
    /// one may look implausibly close to the target (`implausiblePrefix`): honest answers almost never hold two,
    /// while an eclipse liar's answer is full of them, and each would hold a place among the k closest until it
    /// timed out.
    mutating func add(_ contacts: [Contact], depth: Int, path: Int = 0) {
        let bound = 4 * k * paths
        var implausible = 0
        for contact in contacts where !candidates.contains(where: { $0.contact.id == contact.id }) {
            if target.commonPrefixLength(with: contact.id) >= implausiblePrefix {
                implausible += 1
                if implausible > 1 { continue }
            }
            let position =
                candidates.firstIndex { target.prefers(contact.id, over: $0.contact.id) } ?? candidates.count
            guard position < bound else { continue }
            candidates.insert(Candidate(contact: contact, state: .waiting, depth: depth, path: path), at: position)
        }
        if candidates.count > bound { candidates.removeLast(candidates.count - bound) }
    }

    /// The contacts to ask now; marks them in flight. Once a value lookup holds a record, what is left is to hear
    /// the rest of the k closest (one may hold a newer record), so it asks all of them at once rather than α at a
    /// time: the check costs about one more round trip instead of several (decision 0105). Before that, it asks
    /// every candidate in the key's neighbourhood at once too: it will have to hear three quarters of the k
    /// closest, and waiting for an α slot only puts off the round trip (decision 0114). With the quorum at 0 the
    /// first record ends the lookup, so there is nothing to hear and it keeps α (decision 0125).
    ///
    /// The k places go to the closest candidates at plausible distances; implausibly close ones before them are
    /// asked as well (their records count, their contacts may help) but do not push a plausible one out of the k
    /// (decision 0114): an eclipse liar's made-up sybils, one per answer, used to fill the places and hold the
    /// lookup until they went slow.
    mutating func next() -> [Contact] {
        var chosen: [Contact] = []
        let alpha = kind == .findValue && foundRecord != nil ? k : self.alpha
        for path in 0..<paths {
            var busy = candidates.count { $0.path == path && $0.state == .inFlight }
            var live = 0
            for index in candidates.indices where candidates[index].path == path && candidates[index].holdsAPlace {
                let id = candidates[index].contact.id
                if isPlausible(id) { live += 1 }
                if live > k { break }
                guard candidates[index].state == .waiting else { continue }
                // Closest first, so once one is outside the neighbourhood, so are the rest. A lookup with no quorum
                // to make (`valueLookupQuorum` 0, the first record ends it) has no neighbourhood to hear: α it is.
                let near =
                    kind == .findValue && quorum > 0 && target.commonPrefixLength(with: id) >= neighbourhoodPrefix
                if busy >= alpha && !near { break }
                candidates[index].state = .inFlight
                chosen.append(candidates[index].contact)
                busy += 1
            }
        }
        messagesSent += chosen.count
        return chosen
    }

    mutating func mark(_ id: NodeID, _ state: State, token: [UInt8]? = nil) {
        guard let index = candidates.firstIndex(where: { $0.contact.id == id }) else { return }
        // A late answer still counts; a failure never overrides an answer.
        if candidates[index].state == .answered { return }
        candidates[index].state = state
        if let token { candidates[index].token = token }
    }

    func depth(of id: NodeID) -> Int { candidates.first { $0.contact.id == id }?.depth ?? 1 }

    func path(of id: NodeID) -> Int { candidates.first { $0.contact.id == id }?.path ?? 0 }

    func isPending(_ id: NodeID) -> Bool {
        candidates.contains { $0.contact.id == id && ($0.state == .inFlight || $0.state == .slow) }
    }

    /// Done when none of the k closest live candidates is waiting or in flight (a value lookup too: a record in hand
    /// may be an older one replayed, and a storer among the k closest holds the newest; decision 0105).
    func isFinished(now: Timestamp) -> Bool {
        if now >= deadline { return true }
        // Every storer holds every provider of a key (providers publish to the same k closest), so one answer
        // with providers is enough.
        if kind == .getProviders && !providers.isEmpty { return true }
        if kind == .findValue && foundRecord != nil && quorumAnswered { return true }
        for path in 0..<paths {
            var live = 0
            for candidate in candidates where candidate.path == path && candidate.holdsAPlace {
                live += 1
                if live > k { break }
                if candidate.state != .answered { return false }
            }
        }
        // A slow candidate holds no place, but while fewer than k have answered it may still be the best there is:
        // wait for it to answer or fail. A value lookup that holds a record does not wait: a slow storer might hold a
        // newer one, but a dead node (or a liar whose answers do not decode) would hold every lookup for the whole
        // request timeout.
        if kind == .findValue && foundRecord != nil { return true }
        let answered = candidates.count { $0.state == .answered }
        return answered >= k || !candidates.contains { $0.state == .slow }
    }

    /// Whether, on every path, at least `quorum` of the k closest live candidates have answered (decision 0106).
    /// The unanswered rest are in flight, or waiting to be asked; most often they are departed nodes. Only answers
    /// from candidates at a plausible distance count: a Sybil cluster ground implausibly close to the key must not
    /// make the quorum by itself. A node that cannot estimate the network's size (`implausiblePrefix` unknown)
    /// cannot tell such a cluster from the real neighbourhood, so it hears all of the k closest.
    ///
    /// The answers counted are those of the k closest plausible candidates, and the bar is `quorum` of k (of
    /// every live candidate, implausible ones included, when fewer than k are known): implausible candidates
    /// still in flight neither block the quorum nor lower it (decision 0114). This is the condition 0106 reached
    /// once the made-up ones went slow, without the wait.
    private var quorumAnswered: Bool {
        // A quorum of 0 is no defence: the first record ends it, whether or not the size can be estimated (0125).
        if quorum == 0 { return true }
        guard quorum < 1, implausiblePrefix != Int.max else { return false }
        for path in 0..<paths {
            var live = 0
            var plausible = 0
            var answered = 0
            for candidate in candidates where candidate.path == path && candidate.holdsAPlace {
                live += 1
                guard isPlausible(candidate.contact.id), plausible < k else { continue }
                plausible += 1
                if candidate.state == .answered { answered += 1 }
            }
            live = min(live, k)
            if live == 0 || Double(answered) < (quorum * Double(live)).rounded(.up) { return false }
        }
        return true
    }

    /// The k closest that answered, with the tokens they gave us.
    var closestAnswered: [(contact: Contact, token: [UInt8])] {
        candidates.filter { $0.state == .answered }.prefix(k).map { ($0.contact, $0.token) }
    }

    /// Hops to the result: the depth of the node that gave the value, else of the closest that answered.
    var hops: Int {
        if let foundRecord { return foundRecord.depth }
        if kind == .getProviders && !providers.isEmpty { return providerDepth }
        return candidates.first { $0.state == .answered }?.depth ?? 0
    }
}

extension Lookup {
    /// Whether `envelope` is byte for byte the record this lookup already found and validated, and a validation now
    /// would pass as that one did: not expired yet, and the clock not behind the first check (a record's time rules
    /// are its expiry, which only comes closer, and its issue time against the clock, which only gets easier).
    func holdsUnexpired(_ envelope: RecordEnvelope, now: Timestamp) -> Bool {
        guard let found = foundRecord else { return false }
        return now >= found.checkedAt && now < found.record.expiresAt && found.record.envelope == envelope
    }
}
