import ICE
import MeshCore
import NIOCore

/// The sockets port prediction opened (decision 0052), loop-confined like `SessionCore`.
///
/// `@unchecked Sendable` is sound for the same reason as `SessionCore`'s: every `var` is read and written only on
/// the session's event loop (through `SessionCore`, whose entry points run there).
final class PredictionSockets: @unchecked Sendable {
    /// Set at shutdown: a socket whose bind completes later is closed at once.
    var closed = false
    var open: Set<TransportAddress> = []
    var binding: Task<Void, Never>?
}

extension SessionCore {
    /// Carries out the agent's prediction requests. Binding happens off the loop, one socket after another (the
    /// agent paces the datagrams, so there is no point binding faster), and each bound socket is handed back on
    /// the loop; the agent refuses sockets it no longer wants and they are closed.
    func handlePrediction(_ request: PortPredictionRequest) {
        switch request {
        case .openSockets(let count, let ip):
            guard !predictionSockets.closed, predictionSockets.binding == nil else { return }
            predictionSockets.binding = Task { [self] in
                for _ in 0..<count {
                    guard !Task.isCancelled,
                        let socket = try? await UDPSocket.bind(
                            TransportAddress(ip: ip, port: 0),
                            group: loop,
                            reuseAddress: false,
                            onReadComplete: { [self] in readComplete() },
                            onDatagram: { [self] bytes, from, to in receive(bytes, from: from, to: to) }
                        )
                    else { break }
                    let wanted = (try? await loop.submit { self.adoptPredictionSocket(socket) }.get()) ?? false
                    if !wanted {
                        await socket.close()
                        break
                    }
                }
            }
        case .closeSockets(let list):
            for address in list where predictionSockets.open.remove(address) != nil {
                sockets.removeValue(forKey: address)?.channel.close(promise: nil)
            }
        }
    }

    func adoptPredictionSocket(_ socket: UDPSocket) -> Bool {
        guard !predictionSockets.closed, sockets[socket.localAddress] == nil,
            agent.addPredictionSocket(socket.localAddress, now: clock.now())
        else { return false }
        sockets[socket.localAddress] = socket
        predictionSockets.open.insert(socket.localAddress)
        pump()
        return true
    }

    /// Shutdown: no more binds; the sockets themselves are in `sockets` and close with the others.
    func stopPrediction() {
        predictionSockets.closed = true
        predictionSockets.binding?.cancel()
        predictionSockets.open = []
    }

    /// Our NAT's mapping behaviour from the gathering probes (the first IPv4 socket's), for the description.
    static func natHint(from probes: [TransportAddress: NATProbe<SystemRandom>]) -> ICENATHint? {
        guard let base = probes.keys.filter({ $0.ip.isIPv4 }).sorted().first, let probe = probes[base] else {
            return nil
        }
        return ICENATHint(report: probe.report(localAddresses: [base]))
    }
}
