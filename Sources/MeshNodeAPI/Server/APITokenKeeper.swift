import MeshCore
import MeshPeer

/// The API's current bearer token, and what a rotation must cut off. A token that leaked (a log, a shell history,
/// a compromised agent) is rotated by the owner; from that instant the old token opens nothing: every request is
/// checked against the current token, and event streams opened with the old one end (they were authenticated
/// once, at their start, so they must be told).
public final class APITokenKeeper: Sendable {
    private struct State: Sendable {
        var token: APIToken
        /// Bumped by each rotation; a stream remembers the generation it was opened under.
        var generation: UInt64 = 0
        var waiters: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: LockedValue<State>
    /// Where the token file lives; nil keeps the token in memory only (tests of the server alone).
    private let directory: String?

    public init(_ token: APIToken, directory: String? = nil) {
        state = LockedValue(State(token: token))
        self.directory = directory
    }

    /// Compares in constant time with the current token.
    public func matches<S: StringProtocol>(_ presented: S) -> Bool {
        state.withLock { $0.token }.matches(presented)
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    /// Makes a new token, writes it to the token file first (a crash after the write leaves the node answering to
    /// the old token until restart, when it reads the new one; never a node whose only valid token is lost), then
    /// switches to it and ends every event stream opened before. Returns how many streams were told to end.
    @discardableResult
    public func rotate() throws(LocalAPIError) -> Int {
        let fresh = APIToken.generate()
        if let directory { try fresh.save(in: directory) }
        let waiters = state.withLock { state in
            state.token = fresh
            state.generation &+= 1
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters {
            waiter.yield()
            waiter.finish()
        }
        return waiters.count
    }

    /// Returns when the token rotates after `generation` (at once if it already has), or when the task is
    /// cancelled.
    func waitForRotation(after generation: UInt64) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = state.withLock { state in
            guard state.generation == generation else { return nil }
            let id = state.nextWaiter
            state.nextWaiter &+= 1
            state.waiters[id] = continuation
            return id
        }
        guard let id else { return }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.waiters.removeValue(forKey: id) }
        }
        for await _ in stream { return }
    }
}
