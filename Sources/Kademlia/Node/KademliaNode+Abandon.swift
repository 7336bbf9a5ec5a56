import MeshCore

extension KademliaNode {
    /// Ends every lookup, publish and probe still in flight with what it has so far, marked timed out (a publish
    /// counts its outstanding writes as unanswered), and forgets their requests.
    ///
    /// A driver calls this when it stops listening: no reply can arrive any more, so whoever awaits a `QueryID`
    /// must get its result now rather than wait forever. The routing table is left alone: a peer whose answer we
    /// stopped reading has not failed, and must not be penalised in the snapshot saved on the way out.
    public func abandonQueries(now: Timestamp) {
        pending = pending.filter { _, request in
            switch request.purpose {
            case .probe(let query, let probe):
                if let id = request.expectedID {
                    emit(
                        .probeFinished(
                            ProbeResult.unanswered(
                                query,
                                probe,
                                Contact(id: id, address: request.destination),
                                now: now
                            )
                        )
                    )
                }
                return false
            case .lookup, .publish: return false
            case .verify, .bootstrap: return true
            }
        }
        for (query, publish) in publishes {
            lookups[query] = nil
            publishes[query] = nil
            emit(
                .publishFinished(
                    PublishResult(
                        id: query,
                        key: publish.key,
                        type: publish.envelope.type,
                        accepted: publish.accepted,
                        refused: publish.refused,
                        unanswered: publish.unanswered + publish.outstanding.count,
                        started: publish.started,
                        finished: now,
                        ownCopyRefused: publish.ownCopy
                    )
                )
            )
        }
        for query in Array(lookups.keys) {
            finishLookup(query, now: now, timedOut: true)
        }
    }
}
