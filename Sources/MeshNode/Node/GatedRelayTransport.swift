import MeshCore
import MeshPeer
import RelayClient
import RelayFallback

/// The node's relays behind its `SendGate`: `send` refuses while the breaker is tripped; everything else (acks of
/// incoming envelopes, the contact list, status, stop) passes untouched, so the node stays reachable.
struct GatedRelayTransport: RelayTransport {
    let inner: any RelayTransport
    let gate: SendGate

    var events: AsyncStream<RelayPoolEvent> { inner.events }

    func homes() async -> [String] { await inner.homes() }

    func send(
        _ envelope: OutboundEnvelope,
        via relays: [String]
    ) async -> Result<
        (RelayAddress, Disposition?), RelayTransportError
    > {
        guard gate.isOpen else {
            return .failure(RelayTransportError("held: the circuit breaker is tripped"))
        }
        return await inner.send(envelope, via: relays)
    }

    func acknowledge(_ ids: [EnvelopeID], relay: RelayAddress) async { await inner.acknowledge(ids, relay: relay) }
    func setContacts(_ senders: Set<NodeID>) async { await inner.setContacts(senders) }
    func statuses() async -> [RelayStatus] { await inner.statuses() }
    func stop() async { await inner.stop() }
}
