import Foundation
import MeshCore
import Testing

/// Runs the real `meshpeer` binary the way a user would.
@Suite struct CLITests {
    /// The built executable sits beside the test bundle in the build products folder.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("meshpeer").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("meshpeer")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "MESHPEER_PASSPHRASE")
        merged.removeValue(forKey: "MESHPEER_HOME")
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    func temporaryHome() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-cli-\(UUID().uuidString)").path
    }

    @Test func initThenIdPrintsADIDThatDecodesToTheSameKey() throws {
        let home = temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let created = try run(["init", "--home", home])
        #expect(created.status == 0, "\(created.stderr)")
        let shown = try run(["id", "--json"], environment: ["MESHPEER_HOME": home])
        #expect(shown.status == 0, "\(shown.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        )
        let did = try #require(json["did"] as? String)
        let key = try DIDKey.decode(did)
        #expect(Hex.encode(key.rawRepresentation) == json["ed25519_public_key"] as? String)
        #expect(NodeID(publicKey: key).hex == json["node_id"] as? String)
        #expect(try Hex.encode(key.agreementKey().rawRepresentation) == json["x25519_public_key"] as? String)
        #expect(created.stdout.contains(did))
    }

    @Test func secondInitFailsAndLeavesTheKeyAlone() throws {
        let home = temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(try run(["init", "--home", home]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: home + "/identity.key"))
        let again = try run(["init", "--home", home])
        #expect(again.status == 1)
        #expect(again.stderr.contains("refusing to replace"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: home + "/identity.key")) == before)
    }

    @Test func passphraseFlow() throws {
        let home = temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let secret = ["MESHPEER_PASSPHRASE": "s3cret words"]
        let created = try run(["init", "--home", home, "--encrypt", "--json"], environment: secret)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("\"passphrase_protected\":true"))
        #expect(try run(["id", "--home", home], environment: secret).status == 0)
        let wrong = try run(["id", "--home", home], environment: ["MESHPEER_PASSPHRASE": "nope"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("wrong passphrase"))
        let missing = try run(["id", "--home", home])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("passphrase"))
    }

    @Test func insecurePermissionsAreRefusedWithAFix() throws {
        let home = temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(try run(["init", "--home", home]).status == 0)
        chmod(home + "/identity.key", 0o644)
        let result = try run(["id", "--home", home])
        #expect(result.status == 1)
        #expect(result.stderr.contains("chmod 600"))
    }

    @Test func corruptKeyFileIsAClearError() throws {
        let home = temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(try run(["init", "--home", home]).status == 0)
        let path = home + "/identity.key"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[40] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let result = try run(["id", "--home", home])
        #expect(result.status == 1)
        #expect(result.stderr.contains("corrupt") || result.stderr.contains("no longer matches"))
    }

    @Test func malformedDIDExitsNonZero() throws {
        let result = try run(["did", "inspect", "did:key:notbase58!"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("malformed DID"))
        let good = try run(["did", "inspect", "--json", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"])
        #expect(good.status == 0)
        #expect(good.stdout.contains("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"))
    }

    @Test func versionAndHelp() throws {
        let version = try run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("meshpeer "))
        let help = try run(["init", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--home"))
    }
}
