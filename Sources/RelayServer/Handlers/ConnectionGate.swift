import NIOCore

/// Caps the TCP connections one IP address holds open, counted from accept, before any byte is read.
///
/// The hub limits logged-in WebSockets per source (`connectionsPerSource`) with a typed refusal, but a connection
/// is only the hub's once its HTTP upgrade is done: until then only the login deadline bounds it, and one address
/// could hold thousands of half-open requests for that long. The gate allows twice the hub's limit, so an honest
/// client that opens one connection too many still gets the hub's typed `tooManyConnections` answer, while a flood
/// of bare TCP connections from one address is closed at accept. Confined to the relay's single event loop.
final class ConnectionGate {
    let limit: Int
    /// Reverse proxies carry many clients on their connections: not capped here (the hub counts each client by
    /// its forwarded address, and `maximumConnections` bounds the total).
    let trusted: Set<String>
    private var open: [String: Int] = [:]

    init(limit: Int, trusted: Set<String> = []) {
        self.limit = limit
        self.trusted = trusted
    }

    /// True when `channel` may proceed; it then holds a slot until it closes.
    func admit(_ channel: any Channel) -> Bool {
        guard let source = ClientAddress.peer(channel.remoteAddress), !trusted.contains(source) else { return true }
        return admit(channel, as: source)
    }

    /// The same for a client a trusted proxy's PROXY header named (decision 0103): counted under its own address,
    /// so one client behind the proxy cannot hold more half-open connections than a direct one.
    func admit(_ channel: any Channel, as source: String) -> Bool {
        let count = open[source, default: 0]
        guard count < limit else { return false }
        open[source] = count + 1
        // The close callback runs on the channel's loop, the relay's only loop, where the gate lives.
        let gate = NIOLoopBound(self, eventLoop: channel.eventLoop)
        channel.closeFuture.whenComplete { _ in gate.value.release(source) }
        return true
    }

    private func release(_ source: String) {
        let count = (open[source] ?? 1) - 1
        open[source] = count > 0 ? count : nil
    }
}
