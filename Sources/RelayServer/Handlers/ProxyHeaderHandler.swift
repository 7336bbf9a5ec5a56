import MeshCore
import Metrics
import NIOCore
import RelayFallback

/// Reads the PROXY protocol header (v2 or v1) at the start of a connection (decision 0103), then leaves the pipeline.
/// First in the pipeline when `proxyProtocol` is on, before TLS: the proxy writes the header before the client's
/// first byte, ClientHello included. The decisions are `ProxyHeaderReader`'s; this only translates them:
/// - a header: the client's address goes into `source` (the upgrade counts the connection under it), the
///   connection gate admits it under that address, and the bytes after the header go on;
/// - pass-through (a peer that is not a trusted proxy, no header): its bytes go on unchanged;
/// - refused, or the trusted proxy's header did not come in time: counted and closed.
final class ProxyHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var reader: ProxyHeaderReader
    private let clock: any MeshClock
    /// Where the upgrade finds the client; nil: the TCP peer (no header, or LOCAL).
    private let source: LockedValue<ProxiedClient?>
    private let admit: (String) -> Bool
    private let counters: ProxyHeaderCounters
    private var timer: Scheduled<Void>?

    init(
        reader: ProxyHeaderReader,
        clock: any MeshClock,
        source: LockedValue<ProxiedClient?>,
        counters: ProxyHeaderCounters,
        admit: @escaping (String) -> Bool
    ) {
        self.reader = reader
        self.clock = clock
        self.source = source
        self.counters = counters
        self.admit = admit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let deadline = reader.pollTimeout() else { return }
        let delay = max(deadline - clock.now(), .zero)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) {
            let (handler, context) = loopBound.value
            guard let outcome = handler.reader.handleTimeout(now: handler.clock.now()) else { return }
            handler.apply(outcome, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        apply(reader.receive(Array(buffer.readableBytesView)), context: context)
    }

    private func apply(_ outcome: ProxyHeaderReader.Outcome, context: ChannelHandlerContext) {
        switch outcome {
        case .needMore:
            return
        case .refused(let error):
            counters.count(error.code.rawValue)
            timer?.cancel()
            context.close(promise: nil)
        case .passThrough(let bytes):
            pass(bytes, context: context)
        case .header(let header, let remainder):
            switch header {
            case .proxied(let client, _):
                guard let address = Self.address(client) else {
                    counters.count(ProxyHeaderError.Code.malformed.rawValue)
                    context.close(promise: nil)
                    return
                }
                counters.count(header)
                guard admit(address) else {
                    context.close(promise: nil)
                    return
                }
                source.withLock { $0 = ProxiedClient(address: address, forwardedForCounts: true) }
            case .unknownSource:
                // A client's bytes, but no client address: the proxy's allowance, and the client's own
                // X-Forwarded-For must not count just because the TCP peer is a trusted proxy.
                let proxy = ClientAddress.peer(context.channel.remoteAddress) ?? "unknown"
                source.withLock { $0 = ProxiedClient(address: proxy, forwardedForCounts: false) }
                counters.count(header)
            case .local:
                counters.count(header)
            }
            pass(remainder, context: context)
        }
    }

    /// Hands the bytes the reader held to the rest of the pipeline and leaves it.
    private func pass(_ bytes: [UInt8], context: ChannelHandlerContext) {
        timer?.cancel()
        if !bytes.isEmpty {
            context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: bytes)))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The client's address as the per-source limits know it (`ClientAddress.peer`: IPv4-mapped IPv6 counts as
    /// IPv4), or nil for an address NIO does not take.
    static func address(_ endpoint: ProxyEndpoint) -> String? {
        let packed = ByteBuffer(bytes: endpoint.address)
        guard let address = try? SocketAddress(packedIPAddress: packed, port: Int(endpoint.port)) else { return nil }
        return ClientAddress.peer(address)
    }
}

/// Who a PROXY header said the client is: the upgrade counts the connection under `address`, and reads
/// `X-Forwarded-For` only when `forwardedForCounts` and `address` is itself a trusted proxy (`ClientAddress`).
struct ProxiedClient: Sendable {
    let address: String
    let forwardedForCounts: Bool
}

/// `meshpeer_relay_proxy_headers_total{outcome}`: every connection start the PROXY protocol reader decided, by
/// what it found (`proxied`, `local`, `unknown`) or why it refused (`ProxyHeaderError.Code`).
struct ProxyHeaderCounters: Sendable {
    let counters: [String: Counter] = Dictionary(
        uniqueKeysWithValues: (["proxied", "local", "unknown"] + ProxyHeaderError.Code.allCases.map(\.rawValue)).map {
            ($0, Counter(label: "meshpeer_relay_proxy_headers_total", dimensions: [("outcome", $0)]))
        }
    )

    func count(_ outcome: String) {
        counters[outcome]?.increment()
    }

    func count(_ header: ProxyHeader) {
        switch header {
        case .proxied: count("proxied")
        case .local: count("local")
        case .unknownSource: count("unknown")
        }
    }
}
