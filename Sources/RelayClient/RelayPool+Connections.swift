import MeshCore
import RelayFallback

extension RelayPool {
    /// Opens the one connection to `address` (no-op when it exists). A `wss://` address whose TLS cannot be set
    /// up is not contacted: the failure is reported as `.connectFailed(.tlsUnavailable)` and returned.
    @discardableResult
    func connect(_ address: RelayAddress, expectedKey: Ed25519.PublicKey?) -> RelayConnectFailure? {
        guard !stopped else { return RelayConnectFailure(.unreachable, "the relay pool is stopped") }
        guard connections[address] == nil else { return nil }
        var tls: RelayClientTLS?
        if address.secure {
            do {
                tls = try makeTLS(address)
            } catch {
                let failure = RelayConnectFailure(.tlsUnavailable, "TLS could not be set up for \(address): \(error)")
                record(failure, at: address)
                publish(RelayPoolEvent(relay: address, event: .connectFailed(failure)))
                return failure
            }
        }
        let client = RelayClient(
            identity: identity,
            host: address.host,
            port: address.port,
            path: address.path,
            expectedRelay: expectedKey,
            tls: tls,
            group: group,
            backoff: configuration.backoff,
            clock: clock
        )
        let stream = client.events
        let listener = Task { [weak self] in
            for await event in stream { await self?.handle(event, from: address, client: client) }
        }
        connections[address] = Entry(client: client, listener: listener, lastSend: nil)
        let contacts = self.contacts
        Task {
            if let contacts { await client.setContacts(contacts) }
            await client.start()
        }
        return nil
    }

    func disconnect(_ address: RelayAddress) async {
        guard let entry = connections.removeValue(forKey: address) else { return }
        await entry.client.stop()
        entry.listener.cancel()
        resolve(
            { if case .ready(address) = $0 { true } else { false } },
            .failed(RelayConnectFailure(.unreachable, "closed by the pool"))
        )
    }

    func handle(_ event: RelayClientEvent, from address: RelayAddress, client: RelayClient) async {
        guard connections[address]?.client === client else { return }
        let index = selector.candidates.firstIndex { $0.address == address }
        switch event {
        case .ready:
            lastFailures[address] = nil
            resolve({ $0 == .ready(address) }, .ready)
            if let index, measuring.contains(index) { await client.ping() }
        case .pong(let sentAt):
            if let index {
                selector.recordRoundTrip(index, client.now() - sentAt)
                if measuring.contains(index) { markMeasured(index) }
            }
        case .connectFailed(let failure):
            record(failure, at: address)
            resolve({ $0 == .ready(address) }, .failed(failure))
            if let index, measuring.contains(index) { markMeasured(index) }
        case .accepted(let id, let disposition):
            resolve({ $0 == .answer(address, id) }, .accepted(disposition))
        case .refused(let refusal):
            if let id = refusal.envelopeID { resolve({ $0 == .answer(address, id) }, .refused(refusal)) }
        case .disconnected(let reconnectAt) where reconnectAt != nil:
            if let index, selector.homes.contains(index) {
                selector.recordFailure(index, now: clock.now())
                await maintain()
            }
        default:
            break
        }
        publish(RelayPoolEvent(relay: address, event: event), from: client)
    }

    func record(_ failure: RelayConnectFailure, at address: RelayAddress) {
        failureCounts[failure.code, default: 0] += 1
        failuresByAddress[address, default: [:]][failure.code, default: 0] += 1
        lastFailures[address] = failure
    }

    /// Yields to the bounded stream; a delivery that does not fit restarts its connection, so the relay
    /// delivers it again once the reader has caught up (it was never acknowledged).
    func publish(_ event: RelayPoolEvent, from client: RelayClient? = nil) {
        guard case .dropped = sink.yield(event) else { return }
        droppedEvents += 1
        if case .delivered = event.event, let client { Task { await client.reconnect() } }
    }

    /// Registers a wait for `key`; call `result(of:timeout:)` after starting what it waits for.
    func register(_ key: WaitKey) -> Int {
        nextWaiter += 1
        waiters[nextWaiter] = stopped ? .done(.timedOut) : .pending(key)
        return nextWaiter
    }

    /// The registered wait's result, or `.timedOut` after `timeout`.
    func result(of token: Int, timeout: Duration) async -> WaitResult {
        guard let slot = waiters[token] else { return .timedOut }
        switch slot {
        case .done(let result):
            waiters[token] = nil
            return result
        case .waiting:
            return .timedOut
        case .pending(let key):
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.resolve(token: token, .timedOut)
            }
            defer { timer.cancel() }
            return await withCheckedContinuation { continuation in
                waiters[token] = .waiting(key, continuation)
            }
        }
    }

    func resolve(token: Int, _ result: WaitResult) {
        switch waiters[token] {
        case .pending:
            waiters[token] = .done(result)
        case .waiting(_, let continuation):
            waiters[token] = nil
            continuation.resume(returning: result)
        case .done, nil:
            break
        }
    }

    func resolve(_ matches: (WaitKey) -> Bool, _ result: WaitResult) {
        for (token, slot) in waiters {
            switch slot {
            case .pending(let key) where matches(key), .waiting(let key, _) where matches(key):
                resolve(token: token, result)
            default:
                continue
            }
        }
    }
}
