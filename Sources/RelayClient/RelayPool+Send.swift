import MeshCore
import RelayFallback

extension RelayPool {
    /// Sends through the first hop that takes the envelope: an open connection (a home's, or one opened for
    /// an earlier send) is reused, another address is connected on demand (bounded by `connectTimeout`). A hop
    /// that cannot be reached or refuses moves on to the next, at once when its connection's last attempt
    /// failed; the answer is awaited up to `answerTimeout`.
    /// Concurrent calls are fine (each waits for its own answer).
    public func send(_ envelope: OutboundEnvelope, via hops: [RelayRoute.Hop]) async -> RelaySendResult {
        var attempts: [RelaySendAttempt] = []
        for hop in hops {
            let address = hop.address
            let existed = connections[address] != nil
            if let failure = connect(address, expectedKey: hop.expectedKey) {
                attempts.append(RelaySendAttempt(address, failure: failure, failure.description))
                continue
            }
            guard let client = connections[address]?.client else { continue }
            connections[address]?.sending += 1
            connections[address]?.lastSend = clock.now()
            defer {
                if connections[address]?.client === client {
                    connections[address]?.sending -= 1
                    connections[address]?.lastSend = clock.now()
                }
            }
            let login = register(.ready(address))
            if await client.isReady {
                resolve(token: login, .ready)
            } else if existed, let failure = lastFailures[address] {
                // Down since its last attempt (retrying in the background): the next hop, without waiting.
                waiters[login] = nil
                attempts.append(RelaySendAttempt(address, failure: failure, "down: \(failure)"))
                continue
            }
            switch await result(of: login, timeout: configuration.connectTimeout) {
            case .ready:
                break
            case .failed(let failure):
                attempts.append(RelaySendAttempt(address, failure: failure, failure.description))
                continue
            default:
                attempts.append(RelaySendAttempt(address, "not logged in within \(configuration.connectTimeout)"))
                continue
            }
            let answer = register(.answer(address, envelope.id))
            guard await client.send(envelope) else {
                waiters[answer] = nil
                attempts.append(RelaySendAttempt(address, "this relay's outbox is full"))
                continue
            }
            switch await result(of: answer, timeout: configuration.answerTimeout) {
            case .accepted(let disposition):
                return .accepted(address, disposition)
            case .refused(let refusal):
                attempts.append(RelaySendAttempt(address, refusal: refusal, refusal.description))
            default:
                return .queued(address)
            }
        }
        return .failed(attempts)
    }
}
