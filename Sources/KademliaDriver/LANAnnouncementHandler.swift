import Kademlia
import MeshCore
import NIOCore

/// Hands each datagram on a LAN discovery socket to the shared `LANAnnouncementGate` and pings whom it says to.
/// Translation only: every decision is the gate's.
final class LANAnnouncementHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    /// What the IPv4 and IPv6 listeners of one node share: the driver, the gate, and the reasons already noted.
    final class Shared: Sendable {
        let driver: KademliaUDPDriver
        let gate: LockedValue<LANAnnouncementGate>
        let noted = LockedValue<Set<LANAnnouncementGate.Reason>>([])
        let onIgnored: (@Sendable (LANAnnouncementGate.Reason, TransportAddress) -> Void)?

        init(
            driver: KademliaUDPDriver,
            gate: LANAnnouncementGate,
            onIgnored: (@Sendable (LANAnnouncementGate.Reason, TransportAddress) -> Void)?
        ) {
            self.driver = driver
            self.gate = LockedValue(gate)
            self.onIgnored = onIgnored
        }

        /// Reasons that say something is wrong on the LAN (the rest are routine: our own echo, the rate limit).
        static let worthANote: Set<LANAnnouncementGate.Reason> = [.malformed, .linkLocalSource, .unusableSource]

        func receive(_ bytes: [UInt8], from source: TransportAddress) {
            let now = driver.clock.now()
            let verdict = gate.withLock { $0.receive(bytes, from: source, now: now) }
            switch verdict {
            case .ping(let target):
                let driver = self.driver
                Task { try? await driver.perform { core, now in core.ping(target, now: now) } }
            case .ignored(let reason):
                guard Self.worthANote.contains(reason), let onIgnored,
                    noted.withLock({ $0.insert(reason).inserted })
                else { return }
                onIgnored(reason, source)
            }
        }
    }

    let shared: Shared

    init(shared: Shared) { self.shared = shared }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let source = TransportAddress(envelope.remoteAddress) else { return }
        // Anything longer than an announcement is malformed; it is not even copied.
        let bytes =
            envelope.data.readableBytes > LANAnnouncement.datagramByteCount
            ? [] : Array(envelope.data.readableBytesView)
        shared.receive(bytes, from: source)
    }
}
