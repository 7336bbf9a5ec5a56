import ArgumentParser
import Dispatch
import Foundation
import MeshNode
import ProcessSupport

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

    /// Parses and runs the scenario, after arranging that SIGINT or SIGTERM stops the relays and nodes a scenario
    /// started before meshbench exits (they would otherwise outlive it). Started by a `ChildProcess` (a test),
    /// meshbench also stops when its parent dies (`ParentWatch`, which raises SIGTERM here).
    static func main() {
        let sources = StopChildrenOnSignal.install()
        ParentWatch.startIfAsked()
        withExtendedLifetime(sources) { main(nil) }
    }
}

/// SIGINT and SIGTERM, taken from their default action: every `ChildProcess` gets SIGTERM, then meshbench exits
/// with 128 + the signal, as the default action would have reported. The sources must be kept alive.
enum StopChildrenOnSignal {
    static func install() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                ChildProcess.terminateAll()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}
