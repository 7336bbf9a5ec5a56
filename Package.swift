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
        .library(name: "ICE", targets: ["ICE"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
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
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
        // The ICE core's IO: UDP sockets (SwiftNIO), interface enumeration, STUN client, port mapping (miniupnpc).
        .target(
            name: "ICEDriver",
            dependencies: [
                "ICE", "MeshCore", "CMiniUPnPc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
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
                "MeshPeer", "MeshCore", "ICE", "ICEDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MeshBench",
            dependencies: [
                "MeshCore", "ICE",
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
            name: "ICETests",
            dependencies: ["ICE", "MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ICEDriverTests",
            dependencies: ["ICE", "ICEDriver", "MeshCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshPeerCLITests",
            dependencies: ["MeshCore"],
            swiftSettings: strict
        ),
    ]
)
