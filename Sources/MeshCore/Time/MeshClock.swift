#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of the current instant, injected into adapters (cores receive `now:` directly).
public protocol MeshClock: Sendable {
    func now() -> Timestamp
}

/// The real wall clock (`CLOCK_REALTIME`).
public struct SystemClock: MeshClock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(nanosecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}

/// A clock that moves only when told to: for tests and the simulator's virtual time.
public final class ManualClock: MeshClock {
    private let state: LockedValue<Timestamp>

    public init(start: Timestamp = Timestamp(secondsSinceEpoch: 1_700_000_000)) {
        state = LockedValue(start)
    }

    public func now() -> Timestamp { state.withLock { $0 } }

    public func advance(by duration: Duration) {
        state.withLock { $0 = $0 + duration }
    }

    public func set(_ instant: Timestamp) {
        state.withLock { $0 = instant }
    }
}
