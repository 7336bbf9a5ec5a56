import ArgumentParser

/// Scenario benchmarks. Each scenario prints one JSON object as its last stdout line.
///
/// `swift run -c release meshbench <scenario> …`; figures are reported as ratios against a baseline measured in
/// the same run, because absolute numbers on a shared 2-core machine mean little.
@main
struct MeshBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshbench",
        abstract: "MeshPeer scenario benchmarks (JSON on the last line of stdout).",
        subcommands: [
            CodecScenario.self, CryptoScenario.self, DirectScenario.self, RatchetScenario.self, DHTScenario.self,
            ICEScenario.self, RelayScenario.self, RelayStoreScenario.self, E2EScenario.self,
            BaselineForwarderCommand.self, IndexerScenario.self, DHTNetScenario.self,
        ]
    )
}
