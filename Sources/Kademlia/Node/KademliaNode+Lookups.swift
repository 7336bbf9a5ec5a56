import MeshCore

extension KademliaNode {
    /// Finds the k closest live nodes to `target`.
    @discardableResult
    public func findNode(_ target: NodeID, now: Timestamp) -> QueryID {
        let query = makeQueryID()
        startLookup(query, kind: .findNode, target: target, now: now)
        return query
    }

    /// Finds the newest valid record stored under `key`.
    @discardableResult
    public func getRecord(_ key: NodeID, now: Timestamp) -> QueryID {
        let query = makeQueryID()
        startLookup(query, kind: .findValue, target: key, now: now)
        return query
    }

    @discardableResult
    public func getAgentRecord(did: String, now: Timestamp) -> QueryID {
        getRecord(AgentRecord.key(forDID: did), now: now)
    }

    /// Finds providers stored under `key` (for a capability: `ProviderRecord.key(forCapability:)`).
    @discardableResult
    public func getProviders(_ key: NodeID, now: Timestamp) -> QueryID {
        let query = makeQueryID()
        startLookup(query, kind: .getProviders, target: key, now: now)
        return query
    }

    /// Pings each address (whose IDs we do not know yet); the first verified reply starts a lookup of our own ID,
    /// which fills the table. The returned ID is that self-lookup's.
    @discardableResult
    public func bootstrap(from addresses: [TransportAddress], now: Timestamp) -> QueryID {
        let query = makeQueryID()
        internalQueries.insert(query)
        for address in addresses where !seeds.contains(address) && seeds.count < KademliaNode.maximumSeeds {
            seeds.append(address)
        }
        if !seeds.isEmpty { nextLonelyRetry = now + config.lonelyRetryInterval }
        for address in addresses {
            sendRequest(.ping, to: address, expectedID: nil, purpose: .bootstrap, now: now)
        }
        if routingTable.count > 0 {
            startLookup(query, kind: .findNode, target: localID, now: now)
        } else {
            bootstrapQuery = query
        }
        return query
    }

    /// Pings an address whose node ID we do not know (a LAN announcement, a saved contact); a verified reply
    /// adds it to the table like any other.
    public func ping(_ address: TransportAddress, now: Timestamp) {
        sendRequest(.ping, to: address, expectedID: nil, purpose: .bootstrap, now: now)
    }

    /// Leading bits shared with a target that a network of our estimated size rarely holds: our k-th closest
    /// contact shares b bits with us, so the network has about k · 2^b nodes, and the closest of n random IDs
    /// shares about log2(n) bits with a target; two more bits happen for one lookup in four, and two such contacts
    /// in one answer hardly ever. Without k contacts we cannot tell, and cap nothing.
    func implausiblePrefix() -> Int {
        guard let depth = neighbourhoodDepth() else { return Int.max }
        var log2k = 0
        while (1 << (log2k + 1)) <= config.k { log2k += 1 }
        return depth + log2k + 3
    }

    /// Leading bits our k-th closest contact shares with us: about k nodes share that many with any point, about
    /// 2k one bit fewer. nil without k contacts (or with k = 1), when we cannot estimate the network's size.
    func neighbourhoodDepth() -> Int? {
        let neighbours = routingTable.closest(to: localID, limit: config.k)
        guard neighbours.count == config.k, config.k > 1 else { return nil }
        return localID.commonPrefixLength(with: neighbours[neighbours.count - 1].id)
    }

    func startLookup(_ query: QueryID, kind: LookupKind, target: NodeID, now: Timestamp) {
        var lookup = Lookup(
            id: query,
            kind: kind,
            target: target,
            seeds: routingTable.closest(to: target, limit: config.k),
            now: now,
            config: config
        )
        lookup.implausiblePrefix = implausiblePrefix()
        if let depth = neighbourhoodDepth() { lookup.neighbourhoodPrefix = max(0, depth - 1) }
        // What we hold ourselves counts as found at hop 0.
        if kind == .findValue, let local = store.value(for: target, now: now) {
            lookup.foundRecord = (local, 0, now)
        }
        if kind == .getProviders {
            for record in store.providers(for: target, now: now, limit: KademliaMessage.maximumProviders) {
                lookup.providers[record.publisher] = record
            }
        }
        guard lookups.count < config.maximumLookups else {
            counters.dropped[.overloaded, default: 0] += 1
            lookups[query] = lookup
            finishLookup(query, now: now, timedOut: true)
            return
        }
        lookups[query] = lookup
        advance(query, now: now)
    }

    /// Sends the next round of requests, or finishes the lookup.
    func advance(_ query: QueryID, now: Timestamp) {
        guard var lookup = lookups[query] else { return }
        if lookup.isFinished(now: now) { return finishLookup(query, now: now, timedOut: now >= lookup.deadline) }
        let chosen = lookup.next()
        lookups[query] = lookup
        var anyFailed = false
        for contact in chosen {
            let request: KademliaMessage =
                switch lookup.kind {
                case .findNode: .findNode(target: lookup.target)
                case .findValue: .findValue(key: lookup.target)
                case .getProviders: .getProviders(key: lookup.target)
                }
            if sendRequest(request, to: contact.address, expectedID: contact.id, purpose: .lookup(query), now: now)
                == nil
            {
                lookups[query]?.mark(contact.id, .failed)
                anyFailed = true
            }
        }
        // A failed send changed the candidate states, so look again (each pass fails at least one candidate,
        // so this ends).
        if anyFailed { advance(query, now: now) }
    }

    func finishLookup(_ query: QueryID, now: Timestamp, timedOut: Bool) {
        guard let lookup = lookups.removeValue(forKey: query) else { return }
        if var publish = publishes[query], !publish.writing {
            publish.writing = true
            publishes[query] = publish
            writeRecords(query, to: lookup.closestAnswered, now: now)
            return
        }
        if internalQueries.remove(query) != nil { return }
        emit(
            .lookupFinished(
                LookupResult(
                    id: query,
                    kind: lookup.kind,
                    target: lookup.target,
                    closest: lookup.closestAnswered.map(\.contact),
                    record: lookup.foundRecord?.record,
                    providers: lookup.providers.values.sorted { $0.publisher < $1.publisher },
                    hops: lookup.hops,
                    messagesSent: lookup.messagesSent,
                    started: lookup.started,
                    finished: now,
                    timedOut: timedOut
                )
            )
        )
    }
}
