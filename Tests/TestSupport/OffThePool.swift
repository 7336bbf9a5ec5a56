import Foundation

/// Runs blocking work on a thread of its own and awaits its result, so the waiting test does not hold a thread of
/// Swift's cooperative pool, which has one per core: two on a two-core CI machine.
///
/// What blocked that pool before, each found as tests elsewhere in the process missing their deadlines:
/// - a simulation run as a synchronous test body: with the longer value lookups of decision 0105 the unit pass once
///   stalled for about 110 s, and the ICE driver tests on loopback ran past their 60 s limits;
/// - the relay suites' process support (a relay's first stdout line read with `poll`, a SIGTERM's wait, a stuck
///   client's flood): together they left the in-process relay clients no thread on which to answer their relays'
///   login challenges within 10 s, which is why those suites ran one at a time until December 6;
/// - reading a `meshpeer dht serve` child's output with deadlines (MeshPeerCLITests).
///
/// The thread's stack is 16 MiB, for the simulations' deep call chains. Assertions stay in the test's own task.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        start { continuation.resume(returning: work()) }
    }
}

/// `offThePool` for work that throws: the error is rethrown in the awaiting task.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        start { continuation.resume(with: Result { try work() }) }
    }
}

private func start(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.name = "test-off-the-pool"
    thread.stackSize = 16 << 20
    thread.start()
}
