import Synchronization

/// The outbox loop's sleep between passes, cut short by `wake()` (a new entry, a relay that became ready).
///
/// A wake is never lost, whenever it comes. The loop used to keep a "wake pending" flag and the sleeping task on the
/// node actor, and checked the flag only before its next-deadline read; a wake that arrived during that read (an
/// actor suspension point) set the flag after the check and found no sleeper to cancel, so the loop slept its full
/// 5 s with a message waiting. That was the 5-second first message in `meshbench e2e` (README, December 5: "one of
/// the six pairs took 5 s, which I did not explain"; again on December 6, `first_message_slowest_send_to_read_ms`
/// 5,006). Here the check and the start of the sleep are one step under one lock, and a wake before the sleep
/// makes the sleep return at once.
final class WakeableSleep: Sendable {
    private struct State {
        var pending = false
        var sleeper: Task<Void, any Error>?
    }

    private let state = Mutex(State())

    init() {}

    /// Ends the current sleep, or the next one before it starts.
    func wake() {
        let sleeper = state.withLock { state in
            state.pending = true
            return state.sleeper
        }
        sleeper?.cancel()
    }

    /// Forgets a wake that came before this point: the loop calls it at the top of a pass, whose work covers it.
    /// Returns whether there was one.
    @discardableResult
    func clearPending() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    /// Sleeps up to `delay`; returns at once if a wake came since `clearPending`, and as soon as one comes.
    func sleep(upTo delay: Duration) async {
        let sleeper: Task<Void, any Error>? = state.withLock { state in
            guard !state.pending else { return nil }
            let sleeper = Task { try await Task.sleep(for: delay) }
            state.sleeper = sleeper
            return sleeper
        }
        guard let sleeper else { return }
        // The sleeper ends by its delay or by cancellation (a wake, or the loop's own cancellation); either way
        // the loop goes on, so its error says nothing more.
        _ = try? await withTaskCancellationHandler {
            try await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        state.withLock { $0.sleeper = nil }
    }
}
