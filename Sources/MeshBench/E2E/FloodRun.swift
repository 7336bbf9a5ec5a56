import Foundation
import MeshCore
import MeshNodeAPI
import NIOCore

/// One knock flood at the measured node, with its status endpoint sampled while the knocks are offered.
enum FloodRun {
    struct Result: Sendable {
        var validToken: Bool
        var knocks: Int
        var knockBytes: Int
        var poolSeconds: Double
        var offeredPerSecond: Double
        var offerSeconds: Double
        var statusSamples: [Double]
        var statusWindowSeconds: Double
        /// From the first knock offered until the node had counted every knock the relay passed on.
        var nodeBusySeconds: Double
        var relayPassed: Int
        var relayAnswered: Int
        var relayAccepted: [String: Int]
        var relayRefused: [String: Int]
        var clientOutboxFull: Int
        var nodeRefused: Double
        var nodeReceived: Double

        func fields(prefix: String, into report: inout BenchReport) {
            report["\(prefix)valid_token"] = validToken
            report["\(prefix)knocks"] = knocks
            report["\(prefix)knock_bytes"] = knockBytes
            report.set("\(prefix)knocks_made_per_s", poolSeconds > 0 ? Double(knocks) / poolSeconds : 0)
            report.set("\(prefix)offered_per_s", offeredPerSecond)
            report.set("\(prefix)offer_seconds", offerSeconds)
            report.set("\(prefix)api_p50_ms", quantile(statusSamples, 0.5))
            report.set("\(prefix)api_p99_ms", quantile(statusSamples, 0.99))
            report["\(prefix)api_samples"] = statusSamples.count
            report.set("\(prefix)api_window_s", statusWindowSeconds)
            report["\(prefix)relay_answered"] = relayAnswered
            report["\(prefix)relay_accepted"] = relayAccepted
            report["\(prefix)relay_refused"] = relayRefused
            report["\(prefix)client_outbox_full"] = clientOutboxFull
            report["\(prefix)node_refused"] = Int(nodeRefused)
            report["\(prefix)node_admitted"] = Int(nodeReceived)
            report["\(prefix)relay_passed_to_node"] = relayPassed
            report.set("\(prefix)node_busy_s", nodeBusySeconds)
            report.set(
                "\(prefix)node_processed_per_s",
                nodeBusySeconds > 0 ? (nodeRefused + nodeReceived) / nodeBusySeconds : 0
            )
        }
    }

    static func run(
        pool: KnockPool.Pool,
        validToken: Bool,
        target: KnockTargetInfo,
        victim: BenchAPI,
        rate: Double,
        connections: Int,
        statusConcurrency: Int,
        loop: any EventLoop
    ) async throws -> Result {
        guard let home = target.homes.first, let (host, port) = hostPort(home) else {
            throw BenchError("the victim's record names no usable home relay: \(target.homes)")
        }
        let before = try await metrics(victim)
        let flood = KnockFlood(pool: pool.envelopes, rate: rate, connections: connections, loop: loop)
        let channels = try await flood.connect(host: host, port: port)
        let flooding = LockedFlag()
        flooding.set(true)
        let began = ContinuousClock.now
        let probe = Task { try await StatusProbe.run(victim, concurrency: statusConcurrency) { flooding.get() } }
        do {
            try await flood.offer()
        } catch {
            flooding.set(false)
            _ = try? await probe.value
            for channel in channels { try? await channel.close() }
            throw error
        }
        // The node works through what the relay passed on after the offer ends: the status endpoint is sampled
        // until the relay has answered every knock and the node has counted each one it took as refused or
        // received (at most 60 s), and 1 s more.
        await flood.waitForAnswers(timeout: .seconds(30))
        let counts = try await flood.counts()
        let passed = counts.dispositions.values.reduce(0, +)
        func processed(_ now: [String: Double]) -> Int {
            Int(
                (now["meshpeer_knocks_refused_total"] ?? 0) - (before["meshpeer_knocks_refused_total"] ?? 0)
                    + (now["meshpeer_knocks_received_total"] ?? 0) - (before["meshpeer_knocks_received_total"] ?? 0)
            )
        }
        let drainDeadline = ContinuousClock.now + .seconds(60)
        var drained = try await metrics(victim)
        while processed(drained) < passed, ContinuousClock.now < drainDeadline {
            try await Task.sleep(for: .milliseconds(100))
            drained = try await metrics(victim)
        }
        let busySeconds = milliseconds(since: began) / 1_000
        try await Task.sleep(for: .seconds(1))
        flooding.set(false)
        let samples = try await probe.value
        let window = milliseconds(since: began) / 1_000
        let after = try await metrics(victim)
        for channel in channels { try? await channel.close() }
        let offerSeconds = try await loop.submit { flood.offerSeconds }.get()
        return Result(
            validToken: validToken,
            knocks: pool.envelopes.count,
            knockBytes: pool.bytes,
            poolSeconds: pool.seconds,
            offeredPerSecond: offerSeconds > 0 ? Double(pool.envelopes.count) / offerSeconds : 0,
            offerSeconds: offerSeconds,
            statusSamples: samples,
            statusWindowSeconds: window,
            nodeBusySeconds: busySeconds,
            relayPassed: passed,
            relayAnswered: counts.answered,
            relayAccepted: counts.dispositions,
            relayRefused: counts.refusals,
            clientOutboxFull: counts.full,
            nodeRefused: (after["meshpeer_knocks_refused_total"] ?? 0) - (before["meshpeer_knocks_refused_total"] ?? 0),
            nodeReceived: (after["meshpeer_knocks_received_total"] ?? 0)
                - (before["meshpeer_knocks_received_total"] ?? 0)
        )
    }

    /// `ws://host:port/relay` → host and port.
    static func hostPort(_ url: String) -> (String, Int)? {
        guard url.hasPrefix("ws://") else { return nil }
        let rest = url.dropFirst("ws://".count).split(separator: "/").first ?? ""
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
        return (String(rest[..<colon]), port)
    }

    /// The node's Prometheus counters (unlabelled lines), by name.
    static func metrics(_ client: BenchAPI) async throws -> [String: Double] {
        var values: [String: Double] = [:]
        for line in try await client.metrics().split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[1]) else { continue }
            values[String(parts[0]), default: 0] += value
        }
        return values
    }
}

/// A flag shared between the flood and the status probe.
final class LockedFlag: Sendable {
    private let value = LockedValue(false)
    func set(_ flag: Bool) { value.withLock { $0 = flag } }
    func get() -> Bool { value.withLock { $0 } }
}
