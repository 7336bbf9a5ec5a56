import ArgumentParser
import Foundation

/// `meshbench dht-net`: our DHT against bmuller's `kademlia` (Python, PyPI), both as real processes on loopback.
///
/// Both networks run at once for the whole race and are asked the same things in turn (see `RaceWorkload`): each
/// publish and each lookup is sent to the ours node and to the theirs node of the same index, one after the
/// other, the order alternating, so load from elsewhere on the machine falls on both alike. Nothing overlaps: each
/// figure is one operation's latency from a node that has been in its network since the start, measured by this
/// driver as the wall-clock time from writing the command to reading the answer.
struct DHTNetScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht-net",
        abstract: "Race real `meshpeer dht serve` processes against bmuller's Python kademlia on loopback.",
        discussion: """
            Starts --nodes processes of each implementation on 127.0.0.1, each network joined through its own \
            first node; publishes --values values in both (from the same randomly chosen nodes), then runs \
            --lookups lookups of random values from random nodes in both. Prints one JSON object last: `ours` and \
            `theirs` (success, get/publish latency p50/p99 in ms, VmRSS per node in MB), and `ratio_*` = \
            ours / theirs (below 1 is better for latency and memory, above 1 for success).

            The Python side runs scripts/lib/dht-race-peer.py in a virtualenv that this command makes itself on \
            first use: .build/dht-race-venv (python3 -m venv, then pip install kademlia; needs python3-venv). \
            Run `swift build -c release` first: meshpeer must sit beside meshbench.
            """
    )

    @Option(help: "DHT processes per implementation.") var nodes = 50
    @Option(help: "Lookups (each run on both sides).") var lookups = 500
    @Option(help: "Values published on each side (default: one per node).") var values: Int?
    @Option(help: "Seed for the values, publishers and lookups.") var seed: UInt64 = 1
    @Option(help: "Seconds the driver waits for one answer before counting a failure.") var timeout = 30
    @Option(help: "Virtualenv for the Python side (default: <repo>/.build/dht-race-venv).") var venv: String?
    @Option(help: "The Python peer script (default: <repo>/scripts/lib/dht-race-peer.py).") var peerScript: String?
    @Option(
        help: """
            Our nodes' --value-lookup-quorum (default: the node's own, 0.75). 0 makes our get keep the first record \
            found, as theirs does, without the replay defence: to measure what that defence costs, never to quote \
            as our figure.
            """
    )
    var oursValueQuorum: Double?
    @Option(
        help: """
            Our nodes' --lookup-parallelism (default: the node's own, 10, decision 0113; theirs asks 3). To measure \
            what asking more nodes at once costs on a shared machine, never to quote as our figure.
            """
    )
    var oursAlpha: Int?
    @Flag(
        help: """
            Our nodes sign and verify every datagram instead of using pair tags (decision 0124), as they did before \
            tags: to measure what tags save, never to quote as our figure.
            """
    )
    var oursNoPairTags = false

    func validate() throws {
        guard (2...500).contains(nodes) else { throw ValidationError("--nodes must be 2…500") }
        guard (1...100_000).contains(lookups) else { throw ValidationError("--lookups must be 1…100000") }
        guard (1...10_000).contains(values ?? nodes) else { throw ValidationError("--values must be 1…10000") }
        if let oursValueQuorum, !(0...1).contains(oursValueQuorum) {
            throw ValidationError("--ours-value-quorum must be between 0 and 1")
        }
        if let oursAlpha, !(1...20).contains(oursAlpha) { throw ValidationError("--ours-alpha must be 1…20") }
    }

    func run() throws {
        let root = RaceVenv.repositoryRoot()
        let settings = DHTRace.Settings(
            nodes: nodes,
            lookups: lookups,
            values: values ?? nodes,
            seed: seed,
            timeout: .seconds(max(1, timeout)),
            venv: venv ?? root + "/.build/dht-race-venv",
            script: peerScript ?? root + "/scripts/lib/dht-race-peer.py",
            oursValueQuorum: oursValueQuorum,
            oursAlpha: oursAlpha,
            oursPairTags: !oursNoPairTags
        )
        guard FileManager.default.fileExists(atPath: settings.script) else {
            throw BenchError("\(settings.script) is missing (pass --peer-script)")
        }
        try runBlocking {
            let report = try await DHTRace.run(settings)
            report.printJSON()
        }
    }
}
