import MeshCore
import RelayFallback

extension RelayPool {
    /// Connects to the candidates `indices` that are not connected, pings each once it is logged in, waits
    /// until each answered or failed (or `probeTimeout` passed), counts silence as a failure, reselects, and
    /// keeps only the homes (and connections in use for sends) open. Event-driven: no polling.
    func measure(_ indices: [Int]) async {
        measuring = Set(indices)
        answered = []
        for index in indices {
            let candidate = selector.candidates[index]
            if let entry = connections[candidate.address] {
                if await entry.client.isReady { await entry.client.ping() }
            } else if connect(candidate.address, expectedKey: candidate.key) != nil {
                answered.insert(index)
            }
        }
        let done = register(.measured)
        if measuring.isSubset(of: answered) { resolve(token: done, .ready) }
        _ = await result(of: done, timeout: configuration.probeTimeout)
        let silent = measuring.subtracting(answered)
        for index in silent { selector.recordFailure(index, now: clock.now()) }
        measuring = []
        let change = selector.reselect(now: clock.now())
        for index in change.added {
            connect(selector.candidates[index].address, expectedKey: selector.candidates[index].key)
        }
        for index in indices where !selector.homes.contains(index) {
            await closeIfUnused(selector.candidates[index].address)
        }
    }

    /// A measured candidate answered or failed; when all have, the measurement ends.
    func markMeasured(_ index: Int) {
        answered.insert(index)
        if measuring.isSubset(of: answered) { resolve({ $0 == .measured }, .ready) }
    }

    /// Every `probeInterval`: measure the healthy candidates that are not homes (the selector says which).
    func probeIfDue() async {
        let due = selector.candidatesToProbe(now: clock.now())
        guard !due.isEmpty else { return }
        probeRounds += 1
        await measure(due)
    }

    /// One round: ping the homes, then move away from failing ones.
    func maintain() async {
        for index in selector.homes { await connections[selector.candidates[index].address]?.client.ping() }
        let change = selector.reselect(now: clock.now())
        for index in change.removed { await closeIfUnused(selector.candidates[index].address) }
        for index in change.added {
            connect(selector.candidates[index].address, expectedKey: selector.candidates[index].key)
        }
    }

    /// Closes connections that are not homes and carried no send for `idleTimeout`.
    func closeIdle() async {
        for address in Array(connections.keys) { await closeIfUnused(address) }
    }

    /// Closes `address` unless it is a home, being measured, or used for a send within `idleTimeout`.
    func closeIfUnused(_ address: RelayAddress) async {
        guard let entry = connections[address], !homes.contains(address), entry.sending == 0 else { return }
        if let index = selector.candidates.firstIndex(where: { $0.address == address }), measuring.contains(index) {
            return
        }
        if let lastSend = entry.lastSend, clock.now() - lastSend < configuration.idleTimeout { return }
        await disconnect(address)
    }
}
