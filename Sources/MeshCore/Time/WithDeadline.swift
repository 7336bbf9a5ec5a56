/// Runs `body` and returns its value, or cancels it and throws `timedOut()` once `timeout` has passed, whichever
/// comes first. One copy for every caller that bounds a whole exchange (the node's GET to an indexer, the
/// benchmarks' waits); the body must end when cancelled, or the call waits for it.
public func withDeadline<T: Sendable>(
    _ timeout: Duration,
    timedOut: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw timedOut() }
        return value
    }
}
