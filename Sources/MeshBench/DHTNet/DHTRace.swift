import Foundation
import Kademlia

/// The race itself: start both networks, publish, look up, read memory, stop everything (also on failure).
enum DHTRace {
    struct Settings: Sendable {
        var nodes: Int
        var lookups: Int
        var values: Int
        var seed: UInt64
        var timeout: Duration
        var venv: String
        var script: String
        /// Passed to our nodes as `--value-lookup-quorum` when set; nil keeps the node's default (the replay
        /// defence on).
        var oursValueQuorum: Double? = nil
        /// Passed to our nodes as `--lookup-parallelism` when set; nil keeps the node's default (10).
        var oursAlpha: Int? = nil
        /// False passes `--no-pair-tags` to our nodes: every datagram signed, as before decision 0124.
        var oursPairTags = true
    }

    static func run(_ settings: Settings) async throws -> BenchReport {
        let started = ContinuousClock.now
        // A peer that died makes the next write to its stdin fail; without this, SIGPIPE would end the whole
        // benchmark without a word instead of counting that peer's commands as unanswered.
        signal(SIGPIPE, SIG_IGN)
        let python = try await RaceVenv.ensure(at: settings.venv)
        let meshpeer = try BenchProcess.sibling("meshpeer")
        // `meshpeer dht serve` execs meshpeer-dht when it is beside meshpeer, as an installed node does; without it
        // the node would run inside meshpeer, which is not what users run, so the race refuses to start.
        _ = try BenchProcess.sibling("meshpeer-dht")
        let workload = try RaceWorkload(
            nodes: settings.nodes,
            values: settings.values,
            lookups: settings.lookups,
            seed: settings.seed
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dht-net-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        RaceVenv.progress("logs in \(directory)")

        let ours = try await RaceNetwork.start(
            RaceNetwork.ours(
                meshpeer: meshpeer,
                directory: directory,
                valueQuorum: settings.oursValueQuorum,
                alpha: settings.oursAlpha,
                pairTags: settings.oursPairTags
            ),
            nodes: settings.nodes,
            logDirectory: directory
        )
        let theirs: RaceNetwork
        do {
            theirs = try await RaceNetwork.start(
                RaceNetwork.theirs(python: python, script: settings.script),
                nodes: settings.nodes,
                logDirectory: directory
            )
        } catch {
            await ours.stop()
            throw error
        }
        RaceVenv.progress("\(settings.nodes) + \(settings.nodes) nodes joined")
        let tallies = await race(workload, ours: ours, theirs: theirs, timeout: settings.timeout)
        await ours.stop()
        await theirs.stop()
        // The logs are kept only when something went wrong (an unanswered command, a node alone).
        if tallies.ours.unanswered + tallies.theirs.unanswered + ours.alone.count + theirs.alone.count == 0 {
            try? FileManager.default.removeItem(atPath: directory)
        }
        return report(settings, tallies, version: theirs.version, seconds: milliseconds(since: started) / 1_000)
    }

    /// Publishes every value, then runs every lookup, on both sides in turn; reads memory and table sizes last.
    static func race(
        _ workload: RaceWorkload,
        ours: RaceNetwork,
        theirs: RaceNetwork,
        timeout: Duration
    ) async -> (ours: RaceTally, theirs: RaceTally) {
        var tallies = [RaceNetwork.Side.ours: RaceTally(), .theirs: RaceTally()]
        let networks = [ours, theirs]
        for (index, publisher) in workload.publishers.enumerated() {
            for network in index % 2 == 0 ? networks : networks.reversed() {
                let side = network.side
                let answer = await network.peers[publisher].request(workload.put(index, side: side), timeout: timeout)
                tallies[side]!.puts += 1
                guard let answer else {
                    tallies[side]!.unanswered += 1
                    continue
                }
                tallies[side]!.putMilliseconds.append(answer.ms)
                if workload.published(answer.reply, side: side) { tallies[side]!.putsStored += 1 }
                tallies[side]!.record(error: answer.reply)
            }
        }
        RaceVenv.progress("published \(workload.values.count) values on each side")
        // Datagrams sent by every node of a side, read before and after the gets: the difference over the gets is
        // what one lookup costs that side on the wire (requests and replies; background upkeep is minutes apart).
        for network in networks {
            let statistics = await network.statistics()
            tallies[network.side]!.sentBeforeGets = statistics.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) }
        }
        for (index, lookup) in workload.lookups.enumerated() {
            for network in index % 2 == 0 ? networks : networks.reversed() {
                let side = network.side
                let answer = await network.peers[lookup.node].request(
                    workload.get(lookup.value, side: side),
                    timeout: timeout
                )
                tallies[side]!.gets += 1
                guard let answer else {
                    tallies[side]!.unanswered += 1
                    continue
                }
                tallies[side]!.getMilliseconds.append(answer.ms)
                if workload.found(answer.reply, value: lookup.value, side: side) { tallies[side]!.getsFound += 1 }
                tallies[side]!.record(error: answer.reply)
            }
        }
        for network in networks {
            tallies[network.side]!.alone = network.alone.count
            tallies[network.side]!.memory = network.memory()
            let statistics = await network.statistics()
            tallies[network.side]!.contacts = statistics.map { $0["contacts"] as? Int ?? 0 }
            tallies[network.side]!.datagramsSent = statistics.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) }
            tallies[network.side]!.datagramsSentTagged = statistics.reduce(0) { $0 + ($1["sent_tagged"] as? Int ?? 0) }
        }
        return (tallies[.ours]!, tallies[.theirs]!)
    }

    static func report(
        _ settings: Settings,
        _ tallies: (ours: RaceTally, theirs: RaceTally),
        version: String?,
        seconds: Double
    ) -> BenchReport {
        let (ours, theirs) = tallies
        var report = BenchReport(scenario: "dht-net")
        report["nodes"] = settings.nodes
        report["lookups"] = settings.lookups
        report["values"] = settings.values
        report["seed"] = settings.seed
        report["ours"] = ours.json
        report["theirs"] = theirs.json
        report["theirs_version"] = version ?? "unknown"
        report["ours_process"] = "meshpeer dht serve, which execs meshpeer-dht (the DHT alone, Swift runtime static)"
        report["ours_value_lookup_quorum"] = settings.oursValueQuorum ?? KademliaConfig().valueLookupQuorum
        report["ours_lookup_parallelism"] = settings.oursAlpha ?? KademliaConfig().alpha
        report["ours_pair_tags"] = settings.oursPairTags
        report["ours_datagrams_sent"] = ours.datagramsSent
        report["ours_datagrams_tagged"] = ours.datagramsSentTagged
        report.set(
            "ours_tagged_share",
            ours.datagramsSent > 0 ? Double(ours.datagramsSentTagged) / Double(ours.datagramsSent) : 0
        )
        report["ours_pair_tags_definition"] =
            "true: datagrams between nodes that have met carry an HMAC under their X25519 pair key instead of an "
            + "Ed25519 signature (decision 0124); false: every datagram signed and verified"
        report["ours_value_lookup_definition"] =
            "our get ends once this share of the k closest have answered and keeps the newest record (the replay "
            + "defence, decisions 0105/0106); 0 keeps the first record found, as theirs does"
        func ratio(_ key: String, _ mine: Double, _ other: Double) {
            report.set("ratio_" + key, other > 0 ? mine / other : 0)
        }
        ratio("success", ours.success, theirs.success)
        ratio("get_ms_p50", quantile(ours.getMilliseconds, 0.5), quantile(theirs.getMilliseconds, 0.5))
        ratio("get_ms_p99", quantile(ours.getMilliseconds, 0.99), quantile(theirs.getMilliseconds, 0.99))
        ratio("get_datagrams_per_lookup", ours.getDatagramsPerLookup, theirs.getDatagramsPerLookup)
        ratio("publish_ms_p50", quantile(ours.putMilliseconds, 0.5), quantile(theirs.putMilliseconds, 0.5))
        ratio("publish_ms_p99", quantile(ours.putMilliseconds, 0.99), quantile(theirs.putMilliseconds, 0.99))
        ratio("rss_mb_per_node", ours.rssPerNode, theirs.rssPerNode)
        ratio(
            "pss_mb_per_node",
            ours.mean(ours.memory.map(\.proportional)),
            theirs.mean(theirs.memory.map(\.proportional))
        )
        report["ratio_direction"] =
            "ratio_* = ours / theirs: below 1 is better for *_ms_* and rss_mb_per_node, above 1 is better for success"
        // Issue 17's targets (quoted at N = 100): success at least theirs, get p99 and memory per node at most theirs.
        report["targets_met"] = [
            "success": ours.success >= theirs.success,
            "get_ms_p99": quantile(ours.getMilliseconds, 0.99) <= quantile(theirs.getMilliseconds, 0.99),
            "rss_mb_per_node": ours.rssPerNode <= theirs.rssPerNode,
        ]
        report.set("wall_seconds", seconds)
        return report
    }
}
