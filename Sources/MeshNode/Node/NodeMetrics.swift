import CoreMetrics
import DirectPath
import Foundation
import RelayFallback

/// The node's figures (swift-metrics; exported as Prometheus text on the API's `/metrics`): the launch figures
/// (messages exchanged, knocks and the share accepted, store-and-forward use, peers known, relays in use) and the
/// process's own.
struct NodeMetrics: Sendable {
    let messagesSent = Counter(label: "meshpeer_messages_sent_total")
    let messagesReceived = Counter(label: "meshpeer_messages_received_total")
    let receiptsReceived = Counter(label: "meshpeer_receipts_received_total")
    let duplicatesDropped = Counter(label: "meshpeer_duplicates_dropped_total")
    let undecryptable = Counter(label: "meshpeer_envelopes_undecryptable_total")
    let knocksReceived = Counter(label: "meshpeer_knocks_received_total")
    let knocksAccepted = Counter(label: "meshpeer_knocks_accepted_total")
    let knocksRejected = Counter(label: "meshpeer_knocks_rejected_total")
    let knocksHeld = Counter(label: "meshpeer_knocks_held_total")
    let knocksRefused = Counter(label: "meshpeer_knocks_refused_total")
    /// Sends and knocks the circuit breaker refused (tripped, or a per-peer or per-intent limit).
    let sendsRefusedByBreaker = Counter(label: "meshpeer_breaker_refused_total")
    let relayStored = Counter(label: "meshpeer_relay_store_and_forward_total")
    /// Direct paths: messages each way over a direct channel, upgrades, fallbacks to the relay, channels open.
    let messagesSentDirect = Counter(label: "meshpeer_direct_messages_sent_total")
    let messagesReceivedDirect = Counter(label: "meshpeer_direct_messages_received_total")
    let directUpgrades = Counter(label: "meshpeer_direct_upgrades_total")
    let directFallbacks = Counter(label: "meshpeer_direct_fallbacks_total")
    let directChannels = Gauge(label: "meshpeer_direct_channels")
    /// Attempts this node took part in (offered or answered), and the last upgrade's time from the first offer to a
    /// validated channel (GET /v1/paths has the p50 and p95).
    let directAttempts = Counter(label: "meshpeer_direct_attempts_total")
    let timeToDirect = Gauge(label: "meshpeer_direct_time_to_direct_ms")
    /// Port mappings asked of the gateway for path attempts, by whether one was granted.
    let directPortMaps = [true: "granted", false: "refused"].mapValues { result in
        Counter(label: "meshpeer_direct_port_mappings_total", dimensions: [("result", result)])
    }
    /// Port mappings granted after the offer went, and offered by trickle (RFC 8838) instead of deleted.
    let directLateMappings = Counter(label: "meshpeer_direct_port_mappings_trickled_total")
    /// Datagrams a direct channel refused, by reason (`forged`, `replayed`, `malformed`, `wrong-channel`): what an
    /// on-path attacker's rewrites and replays show up as (scripts/lib/netlab-onpath.sh).
    let directDropped = Dictionary(
        uniqueKeysWithValues: [ChannelDropReason.forged, .replayed, .malformed, .wrongChannel].map { reason in
            (
                reason,
                Counter(label: "meshpeer_direct_datagrams_dropped_total", dimensions: [("reason", reason.rawValue)])
            )
        }
    )
    /// Failed connection attempts to relays, by `RelayConnectFailure.Code` (`unreachable`, `tlsFailed`, ...).
    let relayConnectFailures = Dictionary(
        uniqueKeysWithValues: RelayConnectFailure.Code.allCases.map { code in
            (code, Counter(label: "meshpeer_relay_connect_failures_total", dimensions: [("code", code.rawValue)]))
        }
    )
    let relayForwarded = Counter(label: "meshpeer_relay_forwarded_total")
    let deliveryFailures = Counter(label: "meshpeer_delivery_failures_total")
    /// Database steps that failed and will be retried (an outbox update, a gap release): logged and counted here.
    let storageErrors = Counter(label: "meshpeer_storage_errors_total")
    let peersKnown = Gauge(label: "meshpeer_dht_peers_known")
    let relaysInUse = Gauge(label: "meshpeer_relays_in_use")
    let outboxPending = Gauge(label: "meshpeer_outbox_pending")
    let contacts = Gauge(label: "meshpeer_contacts")
    let residentBytes = Gauge(label: "process_resident_memory_bytes")
    let openFiles = Gauge(label: "process_open_fds")
    let startTime = Gauge(label: "process_start_time_seconds")

    init() {
        startTime.record(Date().timeIntervalSince1970)
    }

    /// Reads the process's resident set and open descriptors from /proc (Linux).
    func sampleProcess() {
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            residentBytes.record(pages * Int(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFiles.record(entries.count)
        }
    }
}
