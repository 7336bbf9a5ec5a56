import Foundation
import Testing

/// The MCP server is `meshpeer-mcp`, not part of `meshpeer`: its SDK links FoundationNetworking, which brings
/// libcurl and some thirty libraries into every process of the binary that holds it (the node, relays, bootstrap
/// nodes). These checks read the built binaries, so a change that links it back into `meshpeer` fails here.
@Suite struct MCPBinaryTests {
    let cli = CLITests()

    static var server: URL { CLITests.binary.deletingLastPathComponent().appendingPathComponent("meshpeer-mcp") }

    /// The shared libraries `binary` loads, transitively, as the dynamic loader resolves them (`ldd`).
    static func libraries(of binary: URL) throws -> [String] {
        let (status, text) = try LabBinaryTests.output(of: URL(fileURLWithPath: "/usr/bin/ldd"), [binary.path])
        #expect(status == 0)
        // "\tlibcurl.so.4 => /usr/lib/…/libcurl.so.4 (0x…)": the name is the first word after the tab.
        return text.split(separator: "\n").compactMap { line in
            line.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }
    }

    @Test func theNodeBinaryLoadsNeitherFoundationNetworkingNorCurl() throws {
        let unwanted = ["libFoundationNetworking", "libcurl", "libgnutls", "libldap", "libkrb5"]
        let node = try Self.libraries(of: CLITests.binary)
        #expect(!node.isEmpty)
        for name in unwanted { #expect(!node.contains { $0.hasPrefix(name) }, "meshpeer loads \(name)") }
        // The control: the same listing finds them in the MCP server, so a miss above is not a broken listing.
        let server = try Self.libraries(of: Self.server)
        #expect(server.contains { $0.hasPrefix("libFoundationNetworking") }, "\(server)")
        #expect(server.contains { $0.hasPrefix("libcurl") }, "\(server)")
    }

    @Test func meshpeerMCPRunsTheServerWithItsArguments() throws {
        let version = try cli.run(["mcp", "--version"])
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout.hasPrefix("meshpeer-mcp "), "\(version.stdout)")
        let refused = try cli.run(["mcp", "--no-such-option"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--no-such-option"), "\(refused.stderr)")
    }

    @Test func meshpeerMCPSaysSoWhenTheServerIsNotBesideIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-alone-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let alone = directory.appendingPathComponent("meshpeer")
        try FileManager.default.copyItem(at: CLITests.binary, to: alone)
        let process = Process()
        process.executableURL = alone
        process.arguments = ["mcp", "--version"]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(stderr.contains("meshpeer-mcp is not beside this meshpeer"), "\(stderr)")
    }
}
