import NIOCore
import NIOHTTP1
import Prometheus

/// Plain HTTP: `/healthz` for probes on the relay's port and on the metrics listener, and `/metrics` in the
/// Prometheus text format on the metrics listener only (loopback by default; decision 0079).
/// Every response closes the connection (these are rare, small requests).
final class RelayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let service: RelayService
    private let registry: PrometheusCollectorRegistry?
    private let servesMetrics: Bool
    private var uri: String?

    init(service: RelayService, registry: PrometheusCollectorRegistry?, servesMetrics: Bool) {
        self.service = service
        self.registry = registry
        self.servesMetrics = servesMetrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
        case .body:
            break
        case .end:
            respond(context: context)
        }
    }

    private func respond(context: ChannelHandlerContext) {
        var status = HTTPResponseStatus.ok
        var body: [UInt8]
        var type = "text/plain; charset=utf-8"
        switch uri {
        case "/healthz":
            if service.isShuttingDown {
                status = .serviceUnavailable
                body = Array("shutting down\n".utf8)
            } else {
                body = Array("ok\n".utf8)
            }
        case "/metrics" where servesMetrics:
            service.recordBufferedOutput()
            body = []
            registry?.emit(into: &body)
            // A hostile lab relay says what it did, so a test can tell that its attacks really happened.
            for (attack, count) in service.adversaryCounts.sorted(by: { $0.key < $1.key }) {
                body += Array("meshpeer_relay_adversary_attacks_total{attack=\"\(attack)\"} \(count)\n".utf8)
            }
            type = "text/plain; version=0.0.4; charset=utf-8"
        default:
            status = .notFound
            body = Array("not found; the relay's WebSocket is at /relay\n".utf8)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
