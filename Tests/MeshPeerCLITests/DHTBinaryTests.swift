import Foundation
import TestSupport
import Testing

/// A serving DHT node is `meshpeer-dht`, not `meshpeer`: `meshpeer dht serve` execs it from its own directory, so
/// bootstrap nodes and the DHT race run a binary that holds only the DHT's code with the Swift runtime and Foundation
/// linked statically (docs/node.md, "Resident memory"). These checks run the built binaries, so a change that stops
/// the hand-off, or links the runtime back in dynamically, fails here.
@Suite struct DHTBinaryTests {
    let cli = CLITests()

    static var dhtBinary: URL { CLITests.binary.deletingLastPathComponent().appendingPathComponent("meshpeer-dht") }

    /// The executable a running process was started from, as the kernel records it.
    static func executable(of process: Process) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/exe")
    }

    @Test func dhtServeRunsAsMeshpeerDHTInTheSameProcess() async throws {
        let cli = cli
        let (executable, address) = try await offThePool { () throws -> (String, String) in
            let home = cli.temporaryHome()
            defer { try? FileManager.default.removeItem(atPath: home) }
            let node = try ServeProcess([
                "dht", "serve", "--ephemeral", "--home", home, "--listen", "127.0.0.1:0", "--json",
            ])
            defer { node.stop() }
            let listening = try node.waitForEvent("listening")
            return (try Self.executable(of: node.process), (listening["addresses"] as? [String])?.first ?? "")
        }
        #expect(executable.hasSuffix("/meshpeer-dht"), "the serving process runs \(executable)")
        #expect(address.hasPrefix("127.0.0.1:"), "it listens where it was told: \(address)")
    }

    @Test func meshpeerDHTLinksTheSwiftRuntimeAndFoundationStatically() throws {
        let name = "meshpeer-dht"
        let dynamicSwift = ["libswiftCore", "libFoundation", "libFoundationEssentials", "lib_FoundationICU"]
        let binary = CLITests.binary.deletingLastPathComponent().appendingPathComponent(name)
        let libraries = try MCPBinaryTests.libraries(of: binary)
        #expect(libraries.contains { $0.hasPrefix("libsodium") }, "\(libraries)")
        for library in dynamicSwift {
            #expect(!libraries.contains { $0.hasPrefix(library) }, "\(name) loads \(library)")
        }
        // The control: `meshpeer-mcp` (linked as usual) loads them, so a miss above is not a broken listing.
        let server = try MCPBinaryTests.libraries(of: MCPBinaryTests.server)
        #expect(server.contains { $0.hasPrefix("libswiftCore") }, "\(server)")
        #expect(server.contains { $0.hasPrefix("libFoundationEssentials") }, "\(server)")
    }

    @Test func withoutMeshpeerDHTBesideItServeRunsInProcessAndSaysSo() async throws {
        let cli = cli
        let (note, nodeID, executable, alone) = try await offThePool {
            () throws -> (String, String, String, String) in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-alone-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let alone = directory.appendingPathComponent("meshpeer")
            try FileManager.default.copyItem(at: CLITests.binary, to: alone)
            let home = cli.temporaryHome()
            defer { try? FileManager.default.removeItem(atPath: home) }
            let node = try ServeProcess(
                ["dht", "serve", "--ephemeral", "--home", home, "--listen", "127.0.0.1:0", "--json"],
                readBoth: true,
                executable: alone
            )
            defer { node.stop() }
            let note = try node.waitForLine(containing: "meshpeer-dht is not beside this meshpeer")
            let listening = try node.waitForEvent("listening")
            let nodeID = listening["node_id"] as? String ?? ""
            return (note, nodeID, try Self.executable(of: node.process), alone.path)
        }
        #expect(note.contains("serving in this process instead"), "\(note)")
        #expect(nodeID.count == 64, "it serves: \(nodeID)")
        #expect(executable == alone, "the node runs in the copied meshpeer: \(executable)")
    }

    /// No symbol of the agent node's module is in `meshpeer-dht` (grep for its mangling prefix, `8MeshNode`); the
    /// control finds it in `meshpeer`. `dht serve --help` through `meshpeer` is the DHT node's help.
    @Test func meshpeerDHTHoldsTheDHTVerbsAndNoneOfTheAgentNode() throws {
        let grep = URL(fileURLWithPath: "/usr/bin/grep")
        let (inDHT, _) = try LabBinaryTests.output(of: grep, ["-c", "-a", "-F", "8MeshNode", Self.dhtBinary.path])
        #expect(inDHT == 1, "grep exits 1 when nothing matches: MeshNode's symbols are in meshpeer-dht")
        let (inNode, _) = try LabBinaryTests.output(of: grep, ["-c", "-a", "-F", "8MeshNode", CLITests.binary.path])
        #expect(inNode == 0, "the control: meshpeer holds MeshNode")
        let help = try cli.run(["dht", "serve", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("meshpeer-dht serve"), "\(help.stdout)")
        #expect(help.stdout.contains("--stdin-commands"), "\(help.stdout)")
    }
}
