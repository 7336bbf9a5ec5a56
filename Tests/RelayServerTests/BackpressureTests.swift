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
        // While it is stuck, the relay's output for it stays within the bound plus one read burst's answers. The
        // gauge is what the relay holds at the scrape, which can fall to 0 between pauses (CI, December 6: ten
        // scrapes over a second after the first pause all read 0; most likely the kernel's send buffer grew and
        // took the output in, and the relay read again until the next pause). It is above the bound for the whole `stuckClientTimeoutSeconds` before the drop, so scraping
        // until a value shows up sees one; every value scraped is checked against the bound.
        var largest = 0.0
        try await eventually("the gauge saw the stuck connection's output", within: .seconds(120)) {
            let buffered = metric("meshpeer_relay_largest_output_buffer_bytes", of: relay) ?? 0
            #expect(buffered <= bound + 2 * 1_048_576, "buffered \(buffered) bytes")
            largest = max(largest, buffered)
            return largest > 0
        }

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
