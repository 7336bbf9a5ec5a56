import Foundation

/// Runs async work from a synchronous ParsableCommand.
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let failure = LockedBox()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { failure.set("\(error)") }
        done.signal()
    }
    done.wait()
    if let message = failure.get() { throw BenchError(message) }
}

final class LockedBox: @unchecked Sendable {
    // Thread safety: every access holds `lock`.
    private let lock = NSLock()
    private var value: String?
    func set(_ text: String) { lock.withLock { value = text } }
    func get() -> String? { lock.withLock { value } }
}
