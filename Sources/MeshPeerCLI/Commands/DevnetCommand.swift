import ArgumentParser
import CLISupport
import DHTCLI
import Foundation
import MeshCore
import MeshNode
import NIOPosix
import UnixSignals

/// `meshpeer devnet`: the whole mesh on this machine and the main job run through it (see `Devnet`).
struct DevnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Run a local mesh (bootstrap, 2 relays, 3 agents) on 127.0.0.1 and show the main job end to end."
    )

    @Option(name: .long, help: "Directory for the processes' data and logs (default: a new temporary one).")
    var dir: String?
    @Flag(name: .long, help: "Leave the mesh running after the scenario, until Ctrl-C.") var keep = false
    @Flag(
        name: .long,
        help: "Print the summary as JSON as the last line (with --keep: as soon as the scenario has passed)."
    ) var json = false

    func run() throws {
        try CLIRunner.run {
            let root =
                dir
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-devnet-\(getpid())").path
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let keep = self.keep
            let json = self.json
            try DHTSupport.block {
                // The process's one event-loop group: the scenario's API clients run on it.
                let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
                defer { Task { try? await group.shutdownGracefully() } }
                var options = Devnet.Options(executable: executable, root: root, group: group)
                options.keep = keep
                if keep && json {
                    options.onKept = { summary in
                        do {
                            let data = try JSONEncoder().encode(summary)
                            FileHandle.standardOutput.write(data + Data("\n".utf8))
                        } catch {
                            FileHandle.standardError.write(Data("devnet: the summary did not encode: \(error)\n".utf8))
                        }
                    }
                }
                let devnet = Devnet(options: options) { line in
                    FileHandle.standardError.write(Data((line + "\n").utf8))
                }
                let summary = try await devnet.run(untilStopped: {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
                })
                if json && !keep {
                    let data = try JSONEncoder().encode(summary)
                    FileHandle.standardOutput.write(data + Data("\n".utf8))
                } else if !options.keep {
                    print(summary.text)
                }
            }
        }
    }
}
