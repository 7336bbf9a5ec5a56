import Foundation
import Logging
import MeshNodeAPI
import MeshPeer
import NIOPosix
import Testing

/// The token file, the endpoint file and the binding rules.
@Suite struct FilesAndConfigurationTests {
    @Test func theTokenFileIsCreatedPrivateAndReadBack() throws {
        let directory = APIHarness.temporaryDirectory() + "/nested/home"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = try APIToken.load(orCreateIn: directory)
        #expect(token.value.count == 64)
        #expect(token.value.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let path = directory + "/api-token"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == token.value + "\n")
        #expect(try APIToken.load(orCreateIn: directory).value == token.value)
        #expect(token.matches(token.value))
        #expect(!token.matches(String(token.value.reversed())))
        #expect("\(token)" == "APIToken(redacted)")
        #expect(APIToken.generate().value != token.value)
    }

    @Test func aTokenFileOthersCanReadIsRefusedWithTheFix() throws {
        let directory = APIHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try APIToken.load(orCreateIn: directory)
        let path = directory + "/api-token"
        chmod(path, 0o644)
        #expect {
            try APIToken.load(orCreateIn: directory)
        } throws: { error in
            "\(error)".contains("chmod 600 \(path)")
        }
        try "not hex\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        #expect(throws: LocalAPIError.self) { try APIToken.load(from: directory) }
    }

    @Test func theEndpointFileSaysNoNodeIsRunningWhenAbsentOrStale() throws {
        let directory = APIHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect {
            try APIEndpointFile.read(from: directory)
        } throws: { error in
            (error as? NodeAPIError)?.message.contains("start one with `meshpeer run`") == true
        }
        try APIEndpointFile(url: "http://127.0.0.1:1234").write(to: directory)
        #expect(try APIEndpointFile.read(from: directory).url == "http://127.0.0.1:1234")
        // A pid that cannot exist (above Linux's pid_max) is a node that is gone.
        try #"{"url":"http://127.0.0.1:1","pid":2147483000}"#.write(
            toFile: directory + "/api.json",
            atomically: true,
            encoding: .utf8
        )
        #expect {
            try APIEndpointFile.read(from: directory)
        } throws: { error in
            (error as? NodeAPIError)?.message.contains("has exited") == true
        }
        // The stale file is replaced; a file of this process is removed, another's is left.
        try APIEndpointFile(url: "http://127.0.0.1:2").write(to: directory)
        APIEndpointFile.remove(from: directory, pid: 1)
        #expect(FileManager.default.fileExists(atPath: directory + "/api.json"))
        APIEndpointFile.remove(from: directory)
        #expect(!FileManager.default.fileExists(atPath: directory + "/api.json"))
    }

    @Test func bindingAnythingButLoopbackIsRefusedUnlessAllowed() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let token = APIToken.generate()
        let logger = Logger(label: "test")
        for host in ["0.0.0.0", "::", "192.168.1.10", "example.com"] {
            #expect {
                _ = try LocalAPI.makeService(
                    control: FakeNode(),
                    token: token,
                    configuration: LocalAPIConfiguration(host: host),
                    eventLoopGroup: group,
                    logger: logger
                )
            } throws: { error in
                "\(error)".contains("refusing to serve the local API on \(host)")
            }
        }
        _ = try LocalAPI.makeService(
            control: FakeNode(),
            token: token,
            configuration: LocalAPIConfiguration(host: "0.0.0.0", allowNonLoopback: true),
            eventLoopGroup: group,
            logger: logger
        )
        #expect(throws: LocalAPIError.self) {
            try LocalAPI.makeService(
                control: FakeNode(),
                token: token,
                configuration: LocalAPIConfiguration(port: 70000),
                eventLoopGroup: group,
                logger: logger
            )
        }
        try await group.shutdownGracefully()
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("[::1]", true), ("localhost", true),
        ("::ffff:127.0.0.1", true), ("0.0.0.0", false), ("::", false), ("10.0.0.1", false), ("localhost.evil", false),
        ("128.0.0.1", false), ("", false),
    ])
    func loopbackIsRecognised(host: String, loopback: Bool) {
        #expect(LocalAPIConfiguration.isLoopback(host) == loopback)
    }
}
