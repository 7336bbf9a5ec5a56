// swift-tools-version:6.0
// The smallest honest programs on the stack the node is built on, to measure the resident memory that stack costs
// before any of MeshPeer's own code runs, and one that runs MeshPeer's DHT node alone (floor-dht) (scripts/memory-floor; docs/node.md, "Memory floor"). Not part of the
// product and not built by CI: each is a few lines, and building NIO, GRDB and Hummingbird again takes minutes.
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let grdb: [Target.Dependency] = nio + [.product(name: "GRDB", package: "GRDB.swift")]

let package = Package(
    name: "MemoryFloor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(name: "MeshPeer", path: ".."),
    ],
    targets: [
        .executableTarget(name: "floor-foundation"),
        .executableTarget(name: "floor-nio", dependencies: nio),
        .executableTarget(name: "floor-nio-grdb", dependencies: grdb),
        .executableTarget(
            name: "floor-dht",
            dependencies: nio + [
                .product(name: "MeshCore", package: "MeshPeer"),
                .product(name: "Kademlia", package: "MeshPeer"),
                .product(name: "KademliaDriver", package: "MeshPeer"),
                .product(name: "KademliaStore", package: "MeshPeer"),
            ]
        ),
        .executableTarget(
            name: "floor-service",
            dependencies: grdb + [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
