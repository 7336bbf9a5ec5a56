import ICE
import Kademlia
import MeshCore
import NIOCore

/// The channel handler: it only translates (design rule 2). STUN goes to the STUN handler, everything else
/// to the DHT core through the driver.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let driver: KademliaUDPDriver

    init(driver: KademliaUDPDriver) {
        self.driver = driver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        if STUNMessage.looksLikeSTUN(bytes) {
            driver.stunHandler?(bytes, envelope.remoteAddress, DatagramReplier(channel: context.channel))
            return
        }
        guard let source = TransportAddress(envelope.remoteAddress) else { return }
        driver.received(bytes, from: source)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable and similar surface here; a request simply times out in the core.
    }
}
