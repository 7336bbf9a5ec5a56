import Foundation

/// Runs blocking work (a read with a deadline, a flood of writes on a blocking socket) on a thread of its own and
/// awaits its result.
///
/// Swift's cooperative pool has one thread per core: two here. The relay suites used to block them directly (a
/// relay's first stdout line read with `poll`, a SIGTERM's wait, a stuck client's flood in a `Task.detached`), and
/// with all eighteen suites at once the in-process relay clients of the other tests found no thread to run on and
/// missed the relays' 10 s login deadline. That is why the suites ran one at a time (December 5) until this.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.name = "relay-tests-blocking"
        thread.start()
    }
}
