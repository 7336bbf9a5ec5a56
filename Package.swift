// swift-tools-version:6.2
// MeshPeer: a federated peer node that lets AI agents find each other and talk privately.
//
// The five protocol modules (Kademlia, ICE, Ratchet, RelayFallback, MeshPeer) sit on MeshCore,
// which owns every call into libsodium. CSodium and CMiniUPnPc are system-library shims and nothing else.
import PackageDescription

/// SwiftNIO's socket layer, and with it the HTTP/WebSocket layer, for the IO targets that need them.
let nioSockets: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let nioWebSocket: [Target.Dependency] =
    nioSockets + [
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
    ]

/// Our own targets treat every warning as an error; dependencies are compiled as their authors ship them.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error)
]

let package = Package(
    name: "MeshPeer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "meshpeer", targets: ["MeshPeerCLI"]),
        // The MCP server (`meshpeer mcp` execs it): its SDK links FoundationNetworking, kept out of `meshpeer`.
        .executable(name: "meshpeer-mcp", targets: ["MeshPeerMCPCLI"]),
        // A DHT node alone (`meshpeer dht serve` execs it): bootstrap nodes and the DHT race run it, so it links
        // only the DHT's own code, with the Swift runtime and Foundation linked statically (docs/node.md, "Resident
        // memory").
        .executable(name: "meshpeer-dht", targets: ["MeshPeerDHTCLI"]),
        .executable(name: "meshbench", targets: ["MeshBench"]),
        // The network lab's helpers (`meshlab ice-connect`): lab-only keys stay out of `meshpeer` (issue 12).
        .executable(name: "meshlab", targets: ["MeshLab"]),
        .library(name: "MeshCore", targets: ["MeshCore"]),
        .library(name: "MeshPeer", targets: ["MeshPeer"]),
        .library(name: "MeshNode", targets: ["MeshNode"]),
        .library(name: "MeshNodeAPI", targets: ["MeshNodeAPI"]),
        .library(name: "DirectPath", targets: ["DirectPath"]),
        .library(name: "Ratchet", targets: ["Ratchet"]),
        .library(name: "Kademlia", targets: ["Kademlia"]),
        // The UDP driver and the SQLite record store, for a program that embeds a DHT node alone (MemoryFloor's
        // floor-dht measures one).
        .library(name: "KademliaDriver", targets: ["KademliaDriver"]),
        .library(name: "KademliaStore", targets: ["KademliaStore"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "RelayFallback", targets: ["RelayFallback"]),
        .library(name: "Indexer", targets: ["Indexer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CMiniUPnPc",
            pkgConfig: "miniupnpc",
            providers: [.apt(["libminiupnpc-dev"])]
        ),

        // MARK: Core
        .target(
            name: "MeshCore",
            dependencies: ["CSodium"],
            swiftSettings: strict
        ),

        // MARK: Protocol modules
        .target(
            name: "Kademlia",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        // Kademlia's IO lives in its own targets, so the core above stays free of sockets and files.
        .target(
            name: "KademliaDriver",
            dependencies: [
                "Kademlia", "MeshCore", "ICE", "ICEDriver",
            ] + nioSockets,
            swiftSettings: strict
        ),
        .target(
            name: "KademliaStore",
            dependencies: [
                "Kademlia", "MeshCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Test support: a deterministic network of thousands of Kademlia cores on a virtual clock.
        .target(
            name: "KademliaSimulator",
            dependencies: ["Kademlia", "MeshCore"],
            swiftSettings: strict
        ),
        .target(
            name: "ICE",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        // The ICE core's IO: UDP sockets (SwiftNIO), interface enumeration, STUN client, port mapping (miniupnpc).
        .target(
            name: "ICEDriver",
            dependencies: [
                "ICE", "MeshCore", "CMiniUPnPc",
            ] + nioSockets,
            swiftSettings: strict
        ),
        .target(
            name: "Ratchet",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        // The durable session store is the Ratchet's IO driver: a separate target so Ratchet itself stays IO-free.
        .target(
            name: "RatchetStore",
            dependencies: ["Ratchet", "MeshCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "DirectPath",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        // The direct channel's IO: it runs over the pair an ICE session selected.
        .target(
            name: "DirectPathDriver",
            dependencies: ["DirectPath", "ICE", "ICEDriver", "MeshCore"],
            swiftSettings: strict
        ),
        .target(
            name: "RelayFallback",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        // The relay's IO drivers: kept out of RelayFallback so its logic stays sans-IO (design rule 1).
        .target(
            name: "RelayServer",
            dependencies: [
                "RelayFallback", "MeshCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nioWebSocket,
            swiftSettings: strict
        ),
        .target(
            name: "RelayClient",
            dependencies: [
                "RelayFallback", "MeshCore",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nioWebSocket,
            swiftSettings: strict
        ),

        // The DHT node as a process embeds it: UDP sockets that also answer STUN, records in SQLite, the
        // routing-table snapshot. Kept out of MeshNode so `meshpeer-dht` links none of the agent node.
        .target(
            name: "MeshDHT",
            dependencies: [
                "Kademlia", "KademliaDriver", "KademliaStore", "ICE", "ICEDriver", "MeshCore",
                .product(name: "Metrics", package: "swift-metrics"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        // A child process stops with the parent that started it (devnet, meshbench), whichever binary it runs.
        .target(
            name: "ProcessSupport",
            swiftSettings: strict
        ),

        // MARK: The node
        // The node's logic with no IO: knock, typed messages, the frames between agents, the record's contents.
        .target(
            name: "MeshPeer",
            dependencies: [
                "MeshCore", "Kademlia", "ICE", "Ratchet", "RelayFallback",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The local agent API: the HTTP server over a `NodeControl`, and the client the CLI verbs use.
        .target(
            name: "MeshNodeAPI",
            dependencies: [
                "MeshPeer", "MeshCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ] + nioSockets + [.product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The node's IO: one database, the DHT, relay and API services composed in one ServiceGroup.
        .target(
            name: "MeshNode",
            dependencies: [
                "MeshPeer", "MeshNodeAPI", "MeshCore", "Kademlia", "KademliaDriver", "KademliaStore", "Ratchet",
                "RatchetStore", "RelayFallback", "RelayClient", "RelayServer", "ICE", "ICEDriver", "Indexer",
                "DirectPath", "DirectPathDriver", "MeshDHT", "ProcessSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nioSockets,
            swiftSettings: strict
        ),

        // The indexer: a sans-IO crawler, ranking and query checks (Indexer); the mirror, HTTP API and crawl service
        // (IndexerService).
        .target(
            name: "Indexer",
            dependencies: ["Kademlia", "MeshCore", "MeshPeer"],
            swiftSettings: strict
        ),
        // Test and benchmark support: the crawler driving one node of the Kademlia simulator.
        .target(
            name: "IndexerSimulation",
            dependencies: ["Indexer", "Kademlia", "KademliaSimulator", "MeshCore", "MeshPeer"],
            swiftSettings: strict
        ),
        .target(
            name: "IndexerService",
            dependencies: [
                "Indexer", "Kademlia", "KademliaDriver", "MeshPeer", "MeshCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ] + nioSockets,
            swiftSettings: strict
        ),

        // `meshpeer mcp`: the node's local API as MCP tools and resources for LLM agents (stdio).
        .target(
            name: "MeshMCP",
            dependencies: [
                "MeshPeer", "MeshNodeAPI", "MeshCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // MARK: Command-line
        // What every command shares: the data directory and passphrase options, one-line errors.
        .target(
            name: "CLISupport",
            dependencies: ["MeshCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // The `dht` verbs, shared by `meshpeer dht` and `meshpeer-dht`.
        .target(
            name: "DHTCLI",
            dependencies: [
                "CLISupport", "MeshDHT", "Kademlia", "KademliaDriver", "MeshCore", "MeshPeer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + nioSockets,
            swiftSettings: strict
        ),

        // MARK: Executables
        .executableTarget(
            name: "MeshPeerCLI",
            dependencies: [
                "MeshPeer", "MeshNode", "MeshNodeAPI", "MeshCore", "Kademlia", "KademliaDriver", "KademliaStore", "ICE",
                "ICEDriver", "RelayFallback", "RelayServer", "RelayClient", "IndexerService", "Indexer", "CLISupport",
                "DHTCLI", "MeshDHT", "ProcessSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        // Linked for a small resident set, since volunteers run bootstrap nodes by the hundred: the Swift runtime and
        // Foundation statically (-static-stdlib, at compile for the static resource directory and at link), and no
        // dynamic symbol table of its own (--no-export-dynamic: nothing is dlopen'd into it that would look symbols
        // up), which the loader would otherwise read at every start. It stays position-independent: -no-pie would
        // save another 1.8 MB of relocated pages and lose ASLR for the executable (docs/node.md, "Resident memory").
        .executableTarget(
            name: "MeshPeerDHTCLI",
            dependencies: [
                "DHTCLI", "CLISupport", "ProcessSupport", "MeshCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict + [.unsafeFlags(["-static-stdlib"])],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--no-export-dynamic"])]
        ),
        .executableTarget(
            name: "MeshPeerMCPCLI",
            dependencies: [
                "MeshMCP", "MeshPeer", "MeshCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        // `meshlab`: lab-only helpers. Its ICE probe keys the direct channel from the ICE credentials and fixed lab
        // keys, so it lives here and never in the product binary; MeshPeerCLITests checks `meshpeer` for it.
        .executableTarget(
            name: "MeshLab",
            dependencies: [
                "DirectPath", "DirectPathDriver", "ICE", "ICEDriver", "MeshCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MeshBench",
            dependencies: [
                "MeshCore", "CSodium", "DirectPath", "Ratchet", "Kademlia", "KademliaSimulator", "ICE",
                "RelayFallback", "RelayServer", "RelayClient", "MeshPeer", "MeshNode", "MeshNodeAPI", "Indexer",
                "IndexerService", "IndexerSimulation", "MeshDHT", "ProcessSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + nioWebSocket,
            swiftSettings: strict
        ),

        // MARK: Tests
        // Shared by test targets only: temporary directories removed when the test process exits.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        // The process tests (RelayServerTests, MeshNodeTests, MeshPeerCLITests) run the `meshpeer` binary that
        // `swift build --build-tests` builds beside them; no test target depends on or imports the executable.
        .testTarget(
            name: "MeshCoreTests",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DirectPathTests",
            dependencies: ["DirectPath", "MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RatchetTests",
            dependencies: ["Ratchet", "MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RatchetStoreTests",
            dependencies: ["RatchetStore", "Ratchet", "MeshCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KademliaTests",
            dependencies: [
                "Kademlia", "KademliaSimulator", "KademliaDriver", "KademliaStore", "MeshCore", "ICE", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        .testTarget(
            name: "ICETests",
            dependencies: ["ICE", "MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ICEDriverTests",
            dependencies: ["ICE", "ICEDriver", "MeshCore", "DirectPath", "DirectPathDriver"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayFallbackTests",
            dependencies: ["RelayFallback", "MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayServerTests",
            dependencies: [
                "RelayFallback", "RelayServer", "RelayClient", "MeshCore", "Kademlia", "KademliaDriver", "TestSupport",
            ] + nioSockets,
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshPeerTests",
            dependencies: ["MeshPeer", "MeshCore", "Kademlia", "Ratchet", "RelayFallback"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshNodeAPITests",
            dependencies: [
                "MeshNodeAPI", "MeshPeer", "MeshCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshNodeTests",
            dependencies: [
                "MeshNode", "MeshNodeAPI", "MeshPeer", "MeshCore", "Kademlia", "Ratchet", "RatchetStore",
                "RelayFallback", "RelayServer", "RelayClient", "KademliaDriver", "ICE", "TestSupport", "MeshDHT",
                "ProcessSupport",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshMCPTests",
            dependencies: [
                "MeshMCP", "MeshNodeAPI", "MeshPeer",
                .product(name: "MCP", package: "swift-sdk"),
            ] + nioSockets,
            exclude: ["python"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IndexerTests",
            dependencies: [
                "Indexer", "IndexerService", "IndexerSimulation", "Kademlia", "KademliaSimulator", "KademliaDriver",
                "MeshCore", "MeshPeer", "MeshNode", "MeshNodeAPI", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ] + nioSockets,
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshPeerCLITests",
            dependencies: ["MeshCore", "TestSupport", "CLISupport"],
            swiftSettings: strict
        ),
    ]
)
