/// Waits for something observable in another process (a record in the DHT, a message at an agent): polls `probe`
/// until it returns a value, bounded by `timeout`. For state another process owns and announces no event for;
/// the failure names what was awaited and the last error seen.
public func eventually<T: Sendable>(
    _ what: String,
    timeout: Duration,
    every pause: Duration = .milliseconds(100),
    _ probe: @Sendable () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var last = "nothing yet"
    while ContinuousClock.now < deadline {
        do {
            if let value = try await probe() { return value }
        } catch {
            last = "\(error)"
        }
        try await Task.sleep(for: pause)
    }
    throw ConfigurationError("timed out after \(timeout) waiting for \(what) (last: \(last))")
}
