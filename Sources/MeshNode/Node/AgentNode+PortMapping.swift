import ICE
import ICEDriver
import MeshCore
import MeshPeer
import NIOCore

/// The node's own port mapping (decision 0111): one mapping of its DHT port, asked for at start as the gateway
/// probe, renewed at half its hour-long lease and deleted at shutdown. Its external address goes in the record's
/// address hints, so a node outside the NAT reaches this one's DHT port unsolicited. Path attempts still map their
/// own sockets (decision 0095, point 5).
extension AgentNode {
    /// Asks the gateway once, at start, whether it maps ports (so the first attempt need not wait to find out), by
    /// mapping the DHT's port when the DHT listens on the host's IPv4 address; else a throwaway port.
    nonisolated func startPortMapProbe() {
        guard let direct, let availability = direct.portMapping,
            let host = direct.hosts.first(where: { $0.isIPv4 && !$0.isLoopback })
        else { return }
        availability.startProbe(from: host, keep: Self.mappableDHTPort(dht.driver.localAddresses, host: host))
    }

    /// The DHT's UDP port when its socket takes what the gateway forwards to `host`: bound to `host` itself or to
    /// the IPv4 wildcard. A DHT on loopback or on another address gets no mapping.
    static func mappableDHTPort(_ bound: [SocketAddress], host: IPAddress) -> UInt16? {
        for socket in bound {
            guard let address = TransportAddress(socket), address.ip.isIPv4 else { continue }
            if address.ip == host || address.ip.bytes.allSatisfy({ $0 == 0 }) { return address.port }
        }
        return nil
    }

    /// The hints the record carries (`AddressHint.published` decides): the node's mapped DHT port, while the
    /// gateway's last answer covers it, and the address the NAT check's STUN servers saw.
    func addressHints() async -> [AddressHint] {
        guard let availability = direct?.portMapping, let mapping = await availability.nodeMapping() else { return [] }
        return AddressHint.published(
            exposure: configuration.exposure,
            mappedPort: mapping.externalPort,
            gatewayAddress: mapping.externalIP,
            seen: natStatus?.publicAddress.flatMap(TransportAddress.init)?.ip
        )
    }

    /// Deletes the node's mapping at shutdown (bounded: a gateway that does not answer lets it lapse with its lease).
    func releasePortMapping() async {
        guard let availability = direct?.portMapping else { return }
        _ = await PortMapAvailability.race(
            Task { () async throws in await availability.releaseNodeMapping() },
            within: .seconds(2)
        )
    }
}
