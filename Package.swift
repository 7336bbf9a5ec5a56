// swift-tools-version:6.2
// MeshPeer: a federated peer node that lets AI agents find each other and talk privately.
//
// The five protocol modules (Kademlia, ICE, Ratchet, RelayFallback, MeshPeer) sit on MeshCore,
// which owns every call into libsodium. CSodium and CMiniUPnPc are system-library shims and nothing else.
import PackageDescription

/// Our own targets treat every warning as an error; dependencies are compiled as their authors ship them.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error)
]

let package = Package(
    name: "MeshPeer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "meshpeer", targets: ["MeshPeerCLI"]),
        .executable(name: "meshbench", targets: ["MeshBench"]),
        .library(name: "MeshCore", targets: ["MeshCore"]),
        .library(name: "MeshPeer", targets: ["MeshPeer"]),
        .library(name: "RelayFallback", targets: ["RelayFallback"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .target(
            name: "ICE",
            dependencies: ["MeshCore", "CMiniUPnPc"],
            swiftSettings: strict
        ),
        .target(
            name: "Ratchet",
            dependencies: ["MeshCore"],
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
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RelayClient",
            dependencies: [
                "RelayFallback", "MeshCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // MARK: The node
        .target(
            name: "MeshPeer",
            dependencies: [
                "MeshCore", "Kademlia", "ICE", "Ratchet", "RelayFallback",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Executables
        .executableTarget(
            name: "MeshPeerCLI",
            dependencies: [
                "MeshPeer", "MeshCore", "RelayFallback", "RelayServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MeshBench",
            dependencies: [
                "MeshCore", "RelayFallback", "RelayServer", "RelayClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests
        .testTarget(
            name: "MeshCoreTests",
            dependencies: ["MeshCore"],
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
                "RelayFallback", "RelayServer", "RelayClient", "MeshCore", "MeshPeerCLI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshPeerCLITests",
            dependencies: ["MeshCore", "MeshPeerCLI"],
            swiftSettings: strict
        ),
    ]
)
