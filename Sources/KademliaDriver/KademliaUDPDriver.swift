import Kademlia
import MeshCore
import NIOCore
import NIOPosix

/// Runs one `KademliaNode` on a SwiftNIO event loop with one UDP socket per address family.
///
/// The adapter only translates (design rule 2): datagrams in, `handleDatagram`; the core's transmits out;
/// one scheduled task at the core's `pollTimeout()`; events to whoever awaits their `QueryID`, the rest to
/// `eventSink`. Datagrams that look like STUN go to `stunHandler` instead of the core.
public final class KademliaUDPDriver: Sendable {
    public let eventLoop: any EventLoop
    let clock: any MeshClock
    let state: NIOLoopBoundBox<DriverState>
    let stunHandler: STUNHandler?
    let eventSink: (@Sendable (KademliaEvent) -> Void)?
    private let bound = LockedValue<[SocketAddress]>([])
    private let skipped = LockedValue<[String]>([])

    /// Binds every `listen` address (use port 0 for an ephemeral one) and starts the node built by `makeCore`.
    ///
    /// An IPv6 address this host cannot use (no IPv6 at all, or not this address: `DualStack.meansNoIPv6`) is
    /// skipped when another address bound, and listed in `unavailableListen` for the caller to report: the
    /// dual-stack defaults must still start on an IPv4-only host. Any other failure, or nothing bound, throws.
    public static func start(
        listen: [SocketAddress],
        group: any EventLoopGroup,
        clock: any MeshClock = SystemClock(),
        stunHandler: STUNHandler? = nil,
        eventSink: (@Sendable (KademliaEvent) -> Void)? = nil,
        makeCore: @escaping @Sendable (Timestamp) -> KademliaNode
    ) async throws -> KademliaUDPDriver {
        guard !listen.isEmpty else { throw DriverError("nothing to listen on") }
        let loop = group.next()
        let driver = try await loop.submit {
            KademliaUDPDriver(
                eventLoop: loop,
                clock: clock,
                state: NIOLoopBoundBox(DriverState(core: makeCore(clock.now())), eventLoop: loop),
                stunHandler: stunHandler,
                eventSink: eventSink
            )
        }.get()
        var channels: [any Channel] = []
        var unavailable: [String] = []
        do {
            for address in listen {
                // No SO_REUSEADDR: on UDP it only lets a second socket share a port (see ICEDriver's UDPSocket).
                var bootstrap = DatagramBootstrap(group: loop)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(DatagramHandler(driver: driver))
                        }
                    }
                if case .v6 = address {
                    bootstrap = bootstrap.channelOption(
                        ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only),
                        value: 1
                    )
                }
                do {
                    channels.append(try await bootstrap.bind(to: address).get())
                } catch let error as IOError
                    where address.protocol == .inet6 && DualStack.meansNoIPv6(errno: error.errnoCode)
                {
                    unavailable.append("\(address): \(error)")
                }
            }
            if channels.isEmpty { throw DriverError("no IPv6 on this host: \(unavailable.joined(separator: "; "))") }
        } catch {
            for channel in channels { try? await channel.close() }
            throw DriverError("cannot bind \(listen): \(error)")
        }
        let bound = channels.compactMap(\.localAddress)
        driver.bound.withLock { $0 = bound }
        driver.skipped.withLock { [unavailable] in $0 = unavailable }
        let opened = channels
        try await loop.submit {
            driver.state.value.channels = opened
            driver.flush()
        }.get()
        return driver
    }

    private init(
        eventLoop: any EventLoop,
        clock: any MeshClock,
        state: NIOLoopBoundBox<DriverState>,
        stunHandler: STUNHandler?,
        eventSink: (@Sendable (KademliaEvent) -> Void)?
    ) {
        self.eventLoop = eventLoop
        self.clock = clock
        self.state = state
        self.stunHandler = stunHandler
        self.eventSink = eventSink
    }

    /// The addresses the sockets are bound to (with the real port when 0 was asked for).
    public var localAddresses: [SocketAddress] { bound.withLock { $0 } }

    /// The IPv6 `listen` addresses skipped because this host cannot use them, each with the error; empty when
    /// every address bound. A caller that listens dual-stack by default reports these as a note.
    public var unavailableListen: [String] { skipped.withLock { $0 } }

    /// Runs `body` against the core on its event loop, then sends what it queued.
    @discardableResult
    public func perform<T: Sendable>(_ body: @escaping @Sendable (KademliaNode, Timestamp) -> T) async throws -> T {
        try await eventLoop.submit {
            let result = body(self.state.value.core, self.clock.now())
            self.flush()
            return result
        }.get()
    }

    /// Starts a command on the event loop and calls `completion` there, on the event loop, with the event that
    /// carries its `QueryID` (a lookup or publish result), or with the error `start` threw (nothing is then awaited).
    ///
    /// For a caller that is not on a task: `meshpeer dht serve --stdin-commands` starts each command from its reader
    /// thread and answers from the event loop, one thread hop where `query` takes three (reader, task, loop, task),
    /// each a wake-up that on a loaded machine costs more than the lookup's own work. `completion` must not block.
    /// Always completes: once the driver is shut down the query ends at once with what it has, marked timed out.
    public func startQuery<Failure: Error>(
        _ start: @escaping @Sendable (KademliaNode, Timestamp) throws(Failure) -> QueryID,
        completion: @escaping @Sendable (Result<KademliaEvent, Failure>) -> Void
    ) {
        eventLoop.execute {
            do throws(Failure) {
                let id = try start(self.state.value.core, self.clock.now())
                self.state.value.waiters[id] = { completion(.success($0)) }
            } catch {
                completion(.failure(error))
            }
            self.flush()
        }
    }

    /// Starts a command and waits for the event that carries its `QueryID` (a lookup or publish result).
    ///
    /// Always returns: once the driver is shut down the query ends at once with what it has, marked timed out.
    public func query(_ start: @escaping @Sendable (KademliaNode, Timestamp) -> QueryID) async -> KademliaEvent {
        await withCheckedContinuation { continuation in
            startQuery(start) { (result: Result<KademliaEvent, Never>) in
                switch result {
                case .success(let event): continuation.resume(returning: event)
                }
            }
        }
    }

    /// `query` for a command that can refuse at once (publishing an invalid agent record): the refusal is thrown
    /// and nothing is awaited.
    public func query(
        orThrow start: @escaping @Sendable (KademliaNode, Timestamp) throws -> QueryID
    ) async throws -> KademliaEvent {
        try await withCheckedThrowingContinuation { continuation in
            startQuery(start) { continuation.resume(with: $0) }
        }
    }

    /// Closes the sockets and ends every query still in flight (`KademliaNode.abandonQueries`): each caller
    /// awaiting `query` gets its result, marked timed out, instead of waiting for a reply that cannot arrive.
    /// A query started afterwards ends the same way at once.
    public func shutdown() async {
        let channels: [any Channel]? = try? await eventLoop.submit {
            let state = self.state.value
            state.shutDown = true
            state.timer?.cancel()
            state.timer = nil
            let channels = state.channels
            state.channels = []
            self.flush()
            return channels
        }.get()
        for channel in channels ?? [] { try? await channel.close() }
    }

    // MARK: Loop-side plumbing

    func received(_ bytes: [UInt8], from source: TransportAddress) {
        state.value.core.handleDatagram(bytes, from: source, now: clock.now())
        flush()
    }

    func flush() {
        let state = self.state.value
        // Shut down: nothing can answer, so every query ends now (and a query started later ends at once).
        if state.shutDown { state.core.abandonQueries(now: clock.now()) }
        var written: [ObjectIdentifier: any Channel] = [:]
        for transmit in state.core.drainTransmits() {
            guard let channel = state.channel(for: transmit.destination) else { continue }
            let envelope = AddressedEnvelope(
                remoteAddress: transmit.destination.socketAddress,
                data: channel.allocator.buffer(bytes: transmit.bytes)
            )
            channel.write(envelope, promise: nil)
            written[ObjectIdentifier(channel)] = channel
        }
        for channel in written.values { channel.flush() }
        while let event = state.core.pollEvent() {
            let id: QueryID? =
                switch event {
                case .lookupFinished(let result): result.id
                case .publishFinished(let result): result.id
                case .probeFinished(let result): result.id
                default: nil
                }
            if let id, let waiter = state.waiters.removeValue(forKey: id) {
                waiter(event)
            } else {
                eventSink?(event)
            }
        }
        schedule(state)
    }

    private func schedule(_ state: DriverState) {
        guard !state.shutDown else { return }
        let next = state.core.pollTimeout()
        guard state.timerDeadline != next else { return }
        state.timer?.cancel()
        let delay = max(0, (next - clock.now()).nanoseconds)
        state.timerDeadline = next
        state.timer = eventLoop.scheduleTask(in: .nanoseconds(delay)) {
            self.state.value.timerDeadline = nil
            self.state.value.core.handleTimeout(now: self.clock.now())
            self.flush()
        }
    }
}

/// Everything the driver keeps, confined to its event loop by `NIOLoopBoundBox`.
final class DriverState {
    let core: KademliaNode
    var channels: [any Channel] = []
    var timer: Scheduled<Void>?
    var timerDeadline: Timestamp?
    var waiters: [QueryID: (KademliaEvent) -> Void] = [:]
    /// Set by `shutdown`: every flush then ends the queries in flight and nothing is scheduled.
    var shutDown = false

    init(core: KademliaNode) {
        self.core = core
    }

    func channel(for destination: TransportAddress) -> (any Channel)? {
        channels.first { channel in
            switch channel.localAddress {
            case .v4: destination.isIPv4
            case .v6: !destination.isIPv4
            default: false
            }
        }
    }
}
