import ICE
import MeshCore
import NIOCore
import NIOPosix

/// Runs the sans-IO `NATProbe` over one UDP socket: the driver half of `meshpeer nat-check`.
public enum NATCheck {
    /// Probes `servers` from a socket bound to `bind` (port 0 picks one) and reports the NAT's behaviour.
    /// Bounded: the probe gives up on each request after 2.5 s, so this returns within about 6 s.
    public static func run(
        servers: [TransportAddress],
        bind: TransportAddress,
        group: EventLoopGroup
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
        await socket.close()
        let locals: [TransportAddress]
        if socket.localAddress.ip.bytes.allSatisfy({ $0 == 0 }) {
            locals = HostInterfaces.addresses(includeLoopback: true).map {
                TransportAddress(ip: $0, port: socket.localAddress.port)
            }
        } else {
            locals = [socket.localAddress]
        }
        return report.report(localAddresses: locals)
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
        _ = probe.handleInput(bytes, from: from, now: clock.now())
        pump()
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
