import NIOCore
import Synchronization

/// The idle kept-alive connections of one client to one node's API, so a burst of requests pays for one TCP
/// connection instead of one each (a fresh connection cost the sending side about as much CPU as the node's work on
/// a send: decision 0121). Shared by every copy of the client.
///
/// A connection waits here at most `idleLifetime`, far below the server's idle timeout (60 s by default), so the
/// client almost never hands a request to a connection the server is closing; `LoopbackHTTP.request` handles the
/// rare case. At most `maximumIdle` wait; the oldest goes first.
final class LoopbackConnectionPool: Sendable {
    static let maximumIdle = 8
    static let idleLifetime: TimeAmount = .seconds(2)

    private struct Parked: Sendable {
        var id: UInt64
        var channel: any Channel
    }

    private struct State: Sendable {
        var parked: [Parked] = []
        var nextID: UInt64 = 0
        var opened = 0
    }

    private let state = Mutex(State())

    /// Connections this pool's client has opened for plain requests (tests read it to see reuse).
    var connectionsOpened: Int { state.withLock { $0.opened } }
    /// Connections waiting for a request.
    var idleCount: Int { state.withLock { $0.parked.count } }

    func noteOpened() {
        state.withLock { $0.opened += 1 }
    }

    /// The most recently parked connection that is still open, if any.
    func take() -> (any Channel)? {
        state.withLock { state in
            while let parked = state.parked.popLast() {
                if parked.channel.isActive { return parked.channel }
            }
            return nil
        }
    }

    /// Keeps `channel` for the next request, for at most `idleLifetime`.
    func park(_ channel: any Channel) {
        let (id, evicted) = state.withLock { state -> (UInt64, (any Channel)?) in
            var evicted: (any Channel)?
            if state.parked.count >= Self.maximumIdle { evicted = state.parked.removeFirst().channel }
            state.nextID += 1
            state.parked.append(Parked(id: state.nextID, channel: channel))
            return (state.nextID, evicted)
        }
        evicted?.close(promise: nil)
        channel.eventLoop.scheduleTask(in: Self.idleLifetime) { [weak self] in
            self?.expire(id)
        }
    }

    private func expire(_ id: UInt64) {
        let channel = state.withLock { state -> (any Channel)? in
            guard let index = state.parked.firstIndex(where: { $0.id == id }) else { return nil }
            return state.parked.remove(at: index).channel
        }
        channel?.close(promise: nil)
    }

    /// A client released after its event-loop group shut down finds its connections already closed by the group;
    /// closing them again would hand work to a loop that no longer runs.
    deinit {
        for parked in state.withLock({ $0.parked }) where parked.channel.isActive {
            parked.channel.close(promise: nil)
        }
    }
}
