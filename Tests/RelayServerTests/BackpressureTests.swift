import Foundation
import MeshCore
import RelayClient
import RelayFallback
import TestSupport
import Testing

/// Outbound backpressure at the relay (issue 11, item 7): a client that never reads cannot grow the relay's
/// output without bound; the relay stops reading from it, drops it when it stays stuck, and others keep working.
@Suite(.serialized) struct BackpressureTests {
    @Test func aClientThatNeverReadsIsPausedThenDroppedWhileOthersKeepWorking() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let bound = 65_536.0
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            limits: ["outputBufferMaximumBytes": bound, "stuckClientTimeoutSeconds": 3]
        )
        defer { relay.cleanUp() }
        let stuck = try StuckClient(port: relay.port, identity: identity(231))
        // The flood blocks for as long as the relay tolerates the client: on its own thread, not the pool's.
        let flood = Task { await offThePool { stuck.flood(limit: 512 * 1_048_576) } }

        // The relay pauses once its kernel buffers toward the client are full and its own output passes the bound:
        // about 9 MB of pings after 14 s alone here, and over 30 s once with the 18 suites in parallel (CI,
        // December 6). The bound is for a relay that never pauses, not a measure of how soon it does.
        try await eventually("the relay stopped reading from it", within: .seconds(120)) {
            (metric("meshpeer_relay_reads_paused_total", of: relay) ?? 0) >= 1
        }
        // When the relay stopped reading, the output it held for the client was over the bound (that is what
        // stops it) and within the bound plus one read burst's answers. Read from the gauge recorded at the pause:
        // a scrape of the buffered output now can read 0 between pauses while the client is still stuck (CI,
        // December 6, twice), so it cannot show the peak.
        let atPause = metric("meshpeer_relay_output_at_last_pause_bytes", of: relay) ?? 0
        #expect(atPause > bound, "the relay paused with \(atPause) bytes buffered")
        #expect(atPause <= bound + 2 * 1_048_576, "buffered \(atPause) bytes")
        #expect((metric("meshpeer_relay_largest_output_buffer_bytes", of: relay) ?? 0) <= bound + 2 * 1_048_576)

        // Meanwhile two ordinary clients exchange envelopes.
        let alice = Collector(identity(232), port: relay.port, relay: relay.publicKey)
        let bob = Collector(identity(233), port: relay.port, relay: relay.publicKey)
        try await Collector.startBoth(alice, bob)
        try await alice.send((0..<20).map { OutboundEnvelope.numbered($0, to: bob.identity, run: 100) })
        try await eventually("bob has 20") { await bob.delivered.count == 20 }

        let (written, closed) = await flood.value
        #expect(closed, "the relay closed the stuck connection (after \(written) bytes)")
        try await eventually("the drop was counted") {
            metric("meshpeer_relay_stuck_clients_dropped_total", of: relay) == 1
        }
        #expect((metric("meshpeer_relay_largest_output_buffer_bytes", of: relay) ?? 0) <= bound + 2 * 1_048_576)
        await alice.stop()
        await bob.stop()
    }
}
