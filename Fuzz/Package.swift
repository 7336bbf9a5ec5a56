// swift-tools-version:6.2
// libFuzzer harnesses for every MeshPeer decoder. A separate package, so the main build never links libFuzzer.
// Build and run through ../scripts/fuzz (it passes --sanitize fuzzer,address and -parse-as-library).
import PackageDescription

/// A harness is an executable target named Fuzz<Decoder> that depends on FuzzSupport.
func harness(_ name: String, _ modules: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + modules.map { .product(name: $0, package: "MeshPeer") }
    )
}

let package = Package(
    name: "MeshPeerFuzz",
    dependencies: [.package(name: "MeshPeer", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        harness("FuzzFrame", ["MeshCore"]),
        harness("FuzzKeyFile", ["MeshCore"]),
        harness("FuzzDID", ["MeshCore"]),
        harness("FuzzDirectPacket", ["DirectPath", "MeshCore"]),
        harness("FuzzRatchetEnvelope", ["Ratchet", "MeshCore"]),
        harness("FuzzKademliaMessage", ["Kademlia", "MeshCore"]),
        harness("FuzzSTUN", ["ICE", "MeshCore"]),
        harness("FuzzRelayFrame", ["RelayFallback", "MeshCore"]),
        harness("FuzzMeshEnvelope", ["MeshPeer", "MeshCore"]),
        harness("FuzzCardSignature", ["MeshPeer", "MeshCore"]),
        harness("FuzzDashboardForm", ["MeshNodeAPI"]),
        harness("FuzzInvite", ["MeshPeer", "Kademlia", "MeshCore"]),
        harness("FuzzAuditCheckpoint", ["MeshPeer", "MeshCore"]),
        harness("FuzzOwnerCertificate", ["MeshPeer", "MeshCore"]),
        harness("FuzzOwnerRevocationRecord", ["MeshPeer", "Kademlia", "MeshCore"]),
        harness("FuzzIndexerQuery", ["Indexer", "Kademlia", "MeshCore"]),
        harness("FuzzPortMapping", ["ICE", "MeshCore"]),
        harness("FuzzCandidate", ["ICE", "MeshCore"]),
        harness("FuzzRatchetPlainHeader", ["Ratchet", "MeshCore"]),
        harness("FuzzAgentCard", ["MeshPeer", "Kademlia", "MeshCore"]),
        harness("FuzzProxyHeader", ["RelayFallback", "MeshCore"]),
        harness("FuzzLANAnnouncement", ["Kademlia", "MeshCore"]),
        harness("FuzzAddressHint", ["MeshPeer"]),
    ]
)
