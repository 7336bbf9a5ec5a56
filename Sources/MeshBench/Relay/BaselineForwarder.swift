import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import RelayFallback

/// `meshbench relay-baseline-server`: the yardstick for `meshbench relay`. The same stack as the relay (NIO,
/// one event loop, WebSocket binary messages) with nothing else: no login, no storage, no limits, no acks.
/// A client's first message is its 32-byte address; every later message is `recipient (32) ‖ payload` and is
/// passed on unchanged.
struct BaselineForwarderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay-baseline-server",
        abstract: "Minimal WebSocket forwarder (used by `meshbench relay`).",
        shouldDisplay: false
    )

    func run() throws {
        try runBlocking {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let table = ForwardingTable()
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1_024)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: RelayFallbackModule.maximumWebSocketMessage,
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(ForwarderHandler(table: table))
                            }
                        }
                    )
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                            withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                        )
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            FileHandle.standardOutput.write(Data("{\"port\":\(channel.localAddress?.port ?? 0)}\n".utf8))
            try await channel.closeFuture.get()
        }
    }
}

/// Address → channel. Touched only on the forwarder's single event loop (hence `@unchecked Sendable`).
final class ForwardingTable: @unchecked Sendable {
    var channels: [[UInt8]: any Channel] = [:]
}

final class ForwarderHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let table: ForwardingTable
    var address: [UInt8]?

    init(table: ForwardingTable) { self.table = table }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .binary else { return }
        let bytes = frame.unmaskedData
        guard address != nil else {
            let me = Array(bytes.readableBytesView.prefix(32))
            self.address = me
            table.channels[me] = context.channel
            // Confirm the registration, so the client counts as ready only once it can be reached.
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: [1]))),
                promise: nil
            )
            return
        }
        guard bytes.readableBytes >= 32, let target = table.channels[Array(bytes.readableBytesView.prefix(32))] else {
            return
        }
        target.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, data: bytes), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let address { table.channels[address] = nil }
        context.fireChannelInactive()
    }
}

/// The baseline's client: registers, sends `recipient ‖ payload`, and reports what arrives.
final class BaselineClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let coordinator: BenchCoordinator
    let address: [UInt8]
    var context: ChannelHandlerContext?

    init(coordinator: BenchCoordinator, address: [UInt8]) {
        self.coordinator = coordinator
        self.address = address
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Called once the upgrade has finished (writes during the upgrade are refused by NIO).
    func register() {
        write(address)
    }

    func write(_ bytes: [UInt8]) {
        guard let context else { return }
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .binary else { return }
        guard frame.unmaskedData.readableBytes > 1 else { return coordinator.ready() }
        coordinator.delivered(BenchCoordinator.index(of: frame.unmaskedData.readableBytesView.dropFirst(32)))
    }
}
