import Foundation

/// Runs a simulation on a thread of its own. A synchronous test body holds one of Swift concurrency's cooperative
/// threads (two on a two-core CI machine) for its whole run, and every async test in the process waits for a thread
/// meanwhile: with the simulations' longer value lookups (decision 0105) the full unit pass once stalled for about
/// 110 s, and the ICE driver tests on loopback ran past their 60 s time limits. On its own thread the simulation
/// shares the cores through the kernel's scheduler instead. Assertions stay in the test's own task.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 16 << 20
        thread.start()
    }
}
