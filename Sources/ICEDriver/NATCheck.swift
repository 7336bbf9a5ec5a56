import ICE
import MeshCore
import NIOCore
import NIOPosix

/// Runs the sans-IO `NATProbe` over one UDP socket: the driver half of `meshpeer nat-check`.
public enum NATCheck {
    /// Probes `servers` from a socket bound to `bind` (port 0 picks one) and reports the NAT's behaviour.
    /// Bounded: the probe gives up on each request after 2.5 s, so the probe ends within about 6 s. With
    /// `portMapping` it then asks the gateway for a mapping (methods tried in order) of the socket's port. The report goes to
    /// `onReport`; then the socket keeps answering STUN for `hold` (so a host outside can test the mapping),
    /// and the mapping is removed before returning (how that went, to `onUnmap`).
    public static func run(
        servers: [TransportAddress],
        bind: TransportAddress,
        group: EventLoopGroup,
        portMapping: [PortMapMethod] = [],
        hold: Duration = .zero,
        onReport: @Sendable (NATReport) -> Void = { _ in },
        onUnmap: @Sendable (PortMapDeletion) -> Void = { _ in }
    ) async throws -> NATReport {
        let runner = ProbeRunner(probe: NATProbe(servers: servers, random: SystemRandom()))
        let socket = try await UDPSocket.bind(bind, group: group) { bytes, from, _ in
            runner.receive(bytes, from: from)
        }
        let loop = socket.channel.eventLoop
        let report = try await loop.flatSubmit { () -> EventLoopFuture<NATProbe<SystemRandom>> in
            runner.start(socket: socket, loop: loop)
            return runner.done.futureResult
        }.get()
        let locals: [TransportAddress]
        if socket.localAddress.ip.bytes.allSatisfy({ $0 == 0 }) {
            locals = HostInterfaces.addresses(includeLoopback: true).map {
                TransportAddress(ip: $0, port: socket.localAddress.port)
            }
        } else {
            locals = [socket.localAddress]
        }
        var result = report.report(localAddresses: locals)
        if result.udp, !result.natClass.isUntranslated, let mapped = result.publicAddress.flatMap(TransportAddress.init)
        {
            let pool = NIOThreadPool(numberOfThreads: 1)
            pool.start()
            let behind = try? await pool.runIfActive { HopProbe.publicAddressIsBehindAnotherRouter(mapped.ip) }
            try? await pool.shutdownGracefully()
            result.doubleNAT = behind ?? nil
            if behind == true { result.natClass = .doubleNAT }
        }
        var mapping: PortMapping?
        let mapper = portMapping.isEmpty ? nil : PortMapper(group: group)
        if let mapper {
            do {
                let lease = max(hold + .seconds(60), .seconds(120))
                mapping = try await mapper.map(socket.localAddress, lease: lease, methods: portMapping)
            } catch {
                result.portMappingError = "\(error)"
            }
            if let mapping {
                mapper.keepRenewed(mapping)
                let publicIP = mapping.externalIP.flatMap { $0.bytes.allSatisfy { $0 == 0 } ? nil : $0 }
                let ip = publicIP ?? result.publicAddress.flatMap(TransportAddress.init)?.ip
                result.portMapping = mapping.method
                result.portMappedAddress = ip.map { TransportAddress(ip: $0, port: mapping.externalPort).description }
            }
        }
        onReport(result)
        if hold > .zero { try? await Task.sleep(for: hold) }
        if let mapper {
            if let mapping { onUnmap(await mapper.unmap(mapping)) }
            await mapper.shutdown()
        }
        await socket.close()
        return result
    }
}

/// Loop-confined state for one probe.
///
/// `@unchecked Sendable` is sound because every stored `var` is read and written only on `loop`: `start` runs in
/// `flatSubmit`, `receive` is called by the channel handler on the channel's loop (the same loop), and timers are
/// scheduled on it. `preconditionInEventLoop` checks this in debug builds.
final class ProbeRunner: @unchecked Sendable {
    var probe: NATProbe<SystemRandom>
    var socket: UDPSocket?
    var loop: EventLoop?
    var timer: Scheduled<Void>?
    var promise: EventLoopPromise<NATProbe<SystemRandom>>?
    /// After the probe, the socket answers STUN so a host outside can test a port mapping.
    var responder = STUNResponder()
    let clock = SystemClock()

    init(probe: NATProbe<SystemRandom>) { self.probe = probe }

    var done: EventLoopPromise<NATProbe<SystemRandom>> { promise! }

    func start(socket: UDPSocket, loop: EventLoop) {
        self.socket = socket
        self.loop = loop
        promise = loop.makePromise()
        probe.start(now: clock.now())
        pump()
    }

    func receive(_ bytes: [UInt8], from: TransportAddress) {
        guard let loop else { return }
        loop.preconditionInEventLoop()
        if probe.handleInput(bytes, from: from, now: clock.now()) {
            pump()
        } else if let reply = responder.respond(to: bytes, from: from, now: clock.now()), reply.origin == .same {
            socket?.send(reply.bytes, to: from)
        }
    }

    func pump() {
        while let (to, bytes) = probe.pollTransmit() { socket?.send(bytes, to: to) }
        timer?.cancel()
        timer = nil
        guard let loop, let deadline = probe.pollTimeout() else {
            if probe.isFinished, let promise {
                self.promise = nil
                promise.succeed(probe)
            }
            return
        }
        let delay = max(0, (deadline - clock.now()).nanoseconds)
        timer = loop.scheduleTask(in: .nanoseconds(delay)) { [self] in
            probe.handleTimeout(now: clock.now())
            pump()
        }
    }
}
