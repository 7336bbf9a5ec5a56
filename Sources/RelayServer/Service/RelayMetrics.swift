import Metrics
import RelayFallback

/// The relay's Prometheus series (through swift-metrics; the CLI bootstraps the Prometheus backend).
struct RelayMetrics: Sendable {
    let connections = Gauge(label: "meshpeer_relay_connections")
    let authenticated = Gauge(label: "meshpeer_relay_authenticated_clients")
    let heldEnvelopes = Gauge(label: "meshpeer_relay_held_envelopes")
    let heldBytes = Gauge(label: "meshpeer_relay_held_bytes")
    let forwarded = Counter(label: "meshpeer_relay_envelopes_total", dimensions: [("disposition", "forwarded")])
    let stored = Counter(label: "meshpeer_relay_envelopes_total", dimensions: [("disposition", "stored")])
    let duplicates = Counter(label: "meshpeer_relay_envelopes_total", dimensions: [("disposition", "duplicate")])
    let delivered = Counter(label: "meshpeer_relay_deliveries_total")
    /// Deliveries written again because the recipient left them unacknowledged past `ackWaitSeconds`.
    let redelivered = Counter(label: "meshpeer_relay_redeliveries_total")
    let storeErrors = Counter(label: "meshpeer_relay_store_errors_total")
    /// Connections closed because their output stayed over the bound (a client that does not read).
    let stuckDropped = Counter(label: "meshpeer_relay_stuck_clients_dropped_total")
    /// Times a connection's output went over the bound and the relay stopped reading from it.
    let readsPaused = Counter(label: "meshpeer_relay_reads_paused_total")
    let largestOutputBuffer = Gauge(label: "meshpeer_relay_largest_output_buffer_bytes")
    /// What a connection had buffered when the relay last stopped reading from it: the output at its peak, which
    /// a scrape of `largestOutputBuffer` can miss (it is what is buffered at the scrape, and falls between pauses).
    let outputAtLastPause = Gauge(label: "meshpeer_relay_output_at_last_pause_bytes")
    /// Connection starts the PROXY protocol reader decided, by outcome (decision 0103).
    let proxyHeaders = ProxyHeaderCounters()
    let refusals: [RelayRefusal.Code: Counter] = Dictionary(
        uniqueKeysWithValues: RelayRefusal.Code.allCases.map { code in
            (code, Counter(label: "meshpeer_relay_refusals_total", dimensions: [("code", "\(code)")]))
        }
    )

    func count(_ message: RelayMessage) {
        switch message {
        case .accepted(_, .forwarded): forwarded.increment()
        case .accepted(_, .stored): stored.increment()
        case .accepted(_, .duplicate): duplicates.increment()
        case .refused(let refusal): refusals[refusal.code]?.increment()
        case .deliver: delivered.increment()
        default: break
        }
    }
}
