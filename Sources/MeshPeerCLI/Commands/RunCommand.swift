import ArgumentParser
import CLISupport
import DHTCLI
import Foundation
import Logging
import MeshCore
import MeshNode
import MeshPeer
import Metrics
import NIOPosix
import ProcessSupport
import Prometheus

/// `meshpeer run`: the persistent node an agent talks to through its local API.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run this agent's node: DHT, home relays, knocks, messages and the local API (until Ctrl-C).",
        discussion: """
            Settings come from config.json in the data directory (docs/node.md); the flags below add to them. \
            The card is card.json and the knock policy policy.json, both reloaded when edited. Once the API \
            listens, the node writes its URL to api.json and the bearer token to api-token in the data directory.
            """
    )

    @OptionGroup var home: HomeOptions
    @Option(name: .long, help: "A DHT node to join through, host:port (repeatable).") var bootstrap: [String] = []
    @Option(name: .long, help: "A relay candidate, ws://host:port (repeatable).") var relay: [String] = []
    @Option(name: .long, help: "UDP address for the DHT, host:port (repeatable; replaces config.json's).")
    var listen: [String] = []
    @Option(
        name: .long,
        help:
            "Find DHT nodes on the LAN by multicast on this interface (name or address; replaces config.json's dht.lan)."
    )
    var lan: String?
    @Option(name: .long, help: "TCP port of the local API on 127.0.0.1 (default: config.json's, else any).")
    var apiPort: Int?
    @Option(name: .long, help: "The card's name when there is no card.json.") var name: String?
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"
    @Option(name: .long, help: "Log format on stderr: text or json (one object per line).")
    var logFormat: LogFormat = .text
    @Option(
        name: .long,
        help:
            "Direct paths: auto (upgrade from the relay when both agents allow it) or relay (never; replaces config.json's direct.mode)."
    )
    var direct: String?
    @Flag(name: .long, help: "Print the ready line as JSON (for scripts).") var json = false

    func run() throws {
        ServerTimeZone.useGMT()
        try CLIRunner.run {
            var options = NodeOptions(home: home.keystore.home)
            if (try? home.keystore.readIdentityFile().isPassphraseProtected) == true {
                options.passphrase = try home.passphrase(prompt: "Passphrase: ", confirm: false)
            }
            options.bootstrap = bootstrap
            options.relays = relay
            options.dhtListen = listen.isEmpty ? nil : listen
            options.apiPort = apiPort
            options.lan = lan
            options.defaultName = name
            if let direct {
                guard let mode = PathMode(rawValue: direct) else {
                    throw ValidationError("--direct must be auto or relay, not \(direct)")
                }
                options.directMode = mode
            }
            let level = Logger.Level(rawValue: logLevel) ?? .info
            let json = self.json
            logFormat.bootstrap(level: level)
            let settings = options
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            try DHTSupport.block {
                // The process's one event-loop group, handed to every driver.
                let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
                do {
                    try await NodeRunner.run(
                        settings,
                        group: group,
                        logger: Logger(label: "meshpeer.node"),
                        metricsText: { registry.emitToString() },
                        onReady: { ready in RunCommand.announce(ready, json: json) }
                    )
                } catch {
                    try? await group.shutdownGracefully()
                    throw error
                }
                try await group.shutdownGracefully()
            }
        }
    }

    static func announce(_ ready: NodeReady, json: Bool) {
        if json {
            let data = (try? JSONEncoder().encode(ready)) ?? Data()
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            // Written unbuffered: under systemd or a pipe, print()'s buffer would hold it back.
            let text = """
                meshpeer node running
                  DID     \(ready.did)
                  API     \(ready.api)   (token in api-token)
                  DHT     \(ready.dht.joined(separator: " "))
                  relays  \(ready.relays.isEmpty ? "none yet" : ready.relays.joined(separator: " "))
                Press Ctrl-C to stop.

                """
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
