import MeshCore

extension KademliaNode {
    /// The next instant `handleTimeout(now:)` has work to do (design rule 4: timers are data).
    public func pollTimeout() -> Timestamp {
        var next = min(nextSweep, nextRefresh, tokens.rotatedAt + config.tokenRotationInterval)
        for request in pending.values {
            next = min(next, request.slowAt ?? request.deadline, request.deadline)
        }
        for lookup in lookups.values { next = min(next, lookup.deadline) }
        for own in published.values { next = min(next, own.republishAt) }
        if routingTable.count == 0, let lonely = nextLonelyRetry { next = min(next, lonely) }
        return next
    }

    /// Runs every timer that is due at `now`. Calling it early is harmless.
    public func handleTimeout(now: Timestamp) {
        expireRequests(now: now)
        for (query, lookup) in lookups where now >= lookup.deadline {
            finishLookup(query, now: now, timedOut: true)
        }
        if tokens.rotatedAt + config.tokenRotationInterval <= now {
            tokens.rotate(using: &random, now: now)
        }
        if nextSweep <= now {
            store.removeExpired(now: now)
            nextSweep = now + config.expirySweepInterval
        }
        republishDue(now: now)
        retryWhileAlone(now: now)
        if nextRefresh <= now {
            refreshBuckets(now: now)
            nextRefresh = now + config.bucketRefreshInterval
        }
    }

    /// Requests past their deadline fail; lookup requests past `slowAt` free their α slot.
    func expireRequests(now: Timestamp) {
        var touched: Set<QueryID> = []
        for (transactionID, request) in pending {
            if request.deadline <= now {
                pending[transactionID] = nil
                counters.requestsTimedOut += 1
                fail(request, transactionID: transactionID, touched: &touched, now: now)
            } else if let slowAt = request.slowAt, slowAt <= now {
                pending[transactionID]?.slowAt = nil
                if case .lookup(let query) = request.purpose, let id = request.expectedID,
                    lookups[query]?.isPending(id) == true
                {
                    lookups[query]?.mark(id, .slow)
                    touched.insert(query)
                }
            }
        }
        for query in touched.sorted() { advance(query, now: now) }
        for query in publishes.keys.sorted() { finishPublishIfSettled(query, now: now) }
    }

    func fail(_ request: PendingRequest, transactionID: UInt64, touched: inout Set<QueryID>, now: Timestamp) {
        // A request to another address than the table's (a verification of a sender's new address) says nothing
        // about the address in the table.
        if let id = request.expectedID,
            routingTable.entry(for: id).map({ $0.contact.address == request.destination }) ?? true,
            routingTable.recordFailure(id)
        {
            emit(.contactEvicted(id))
        }
        switch request.purpose {
        case .lookup(let query):
            if let id = request.expectedID { lookups[query]?.mark(id, .failed) }
            touched.insert(query)
        case .publish(let query):
            if publishes[query]?.outstanding.remove(transactionID) != nil {
                publishes[query]?.unanswered += 1
            }
        case .verify:
            if let id = request.expectedID { verifying.remove(id) }
        case .bootstrap:
            retryBootstrap(request.destination, now: now)
        case .probe(let query, let probe):
            if let id = request.expectedID {
                let contact = Contact(id: id, address: request.destination)
                emit(.probeFinished(ProbeResult.unanswered(query, probe, contact, now: now)))
            }
        }
    }

    /// A lone node asks a silent seed again (a lost datagram or a seed busy at that moment must not leave it alone
    /// for good), at most `bootstrapAttempts` times per seed. Once any contact answers, retries stop.
    func retryBootstrap(_ seed: TransportAddress, now: Timestamp) {
        guard routingTable.count == 0 else {
            bootstrapAttempts.removeAll()
            return
        }
        let attempts = bootstrapAttempts[seed, default: 1]
        guard attempts < config.bootstrapAttempts, bootstrapAttempts.count < config.maximumPendingRequests else {
            return
        }
        bootstrapAttempts[seed] = attempts + 1
        counters.bootstrapRetries += 1
        sendRequest(.ping, to: seed, expectedID: nil, purpose: .bootstrap, now: now)
    }

    /// Every `lonelyRetryInterval` while the table is empty, each seed is pinged again (with its own retries). A node
    /// with contacts sends nothing here.
    func retryWhileAlone(now: Timestamp) {
        guard let lonely = nextLonelyRetry, lonely <= now else { return }
        nextLonelyRetry = now + config.lonelyRetryInterval
        guard routingTable.count == 0 else { return }
        bootstrapAttempts.removeAll()
        for seed in seeds where pending.count < config.maximumPendingRequests {
            counters.bootstrapRetries += 1
            sendRequest(.ping, to: seed, expectedID: nil, purpose: .bootstrap, now: now)
        }
    }

    /// Refreshes stale buckets, each in the cheapest way that keeps it live and full (Kademlia section 2.3, BEP 5).
    /// A few lookups per round at most, so a long-idle node does not burst.
    ///
    /// - Our neighbourhood, every bucket from the one that holds our k-th closest contact down: one lookup of our
    ///   own ID refreshes them all, since it finds the k closest nodes to us, and everyone in those buckets is among
    ///   them. (Before, each sparse deep bucket got a lookup of its own that found the same few nodes.)
    /// - A full bucket needs no new contacts, only live ones: its least-recently-seen contact is pinged if it has
    ///   been silent for `questionableAfter`. A failure counts towards eviction, a replacement takes the slot, and a
    ///   bucket that falls below k gets a lookup in a later round.
    /// - Any other stale bucket: a lookup of a random ID in it.
    ///
    /// The honest simulator found refresh lookups to be about 60 % of all traffic at 10,000 nodes (decision 0097).
    func refreshBuckets(now: Timestamp) {
        let stale = routingTable.bucketsNeedingRefresh(now: now, interval: config.bucketRefreshInterval)
        guard !stale.isEmpty else { return }
        let neighbours = routingTable.closest(to: localID, limit: config.k)
        let edge =
            neighbours.count < config.k ? Int.max : routingTable.bucketIndex(for: neighbours[neighbours.count - 1].id)
        var lookups = 0
        var selfLookup = false
        for index in stale {
            if index >= edge {
                selfLookup = true
                routingTable.touch(bucket: index, now: now)
            } else if routingTable.buckets[index].entries.count >= config.k {
                routingTable.touch(bucket: index, now: now)
                pingIfQuestionable(bucket: index, now: now)
            } else if lookups < 8 {
                lookups += 1
                routingTable.touch(bucket: index, now: now)
                startInternalLookup(target: localID.randomID(inBucket: index, using: &random), now: now)
            }
        }
        if selfLookup { startInternalLookup(target: localID, now: now) }
    }

    func startInternalLookup(target: NodeID, now: Timestamp) {
        let query = makeQueryID()
        internalQueries.insert(query)
        startLookup(query, kind: .findNode, target: target, now: now)
    }

    /// Pings the least-recently-seen contact of a full bucket if it has been silent too long.
    func pingIfQuestionable(bucket index: Int, now: Timestamp) {
        guard let stalest = routingTable.buckets[index].entries.min(by: { $0.lastSeen < $1.lastSeen }) else { return }
        checkQuestionable(inBucketOf: stalest.contact.id, now: now)
    }
}
