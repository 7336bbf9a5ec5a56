import Foundation
import MeshCore
import Testing

/// The keystore on a real file system: permissions, passphrases, corruption, and never overwriting a key.
@Suite struct KeystoreTests {
    let home: String

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-ks-\(UUID().uuidString)").path
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: home) }

    @Test func createThenLoadPlain() throws {
        defer { cleanup() }
        let keystore = Keystore(home: home + "/nested/dir")
        var random = SeededRandom(seed: 10)
        let created = try keystore.createIdentity(passphrase: nil, random: &random)
        let loaded = try keystore.loadIdentity(passphrase: nil)
        #expect(loaded.did == created.did)
        let attributes = try FileManager.default.attributesOfItem(atPath: keystore.identityPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: keystore.home)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
    }

    @Test func passphraseProtectedKey() throws {
        defer { cleanup() }
        let keystore = Keystore(home: home)
        var random = SeededRandom(seed: 11)
        let passphrase = SecureBytes(Array("correct horse".utf8))
        let created = try keystore.createIdentity(passphrase: passphrase, cost: .interactive, random: &random)
        #expect(try keystore.readIdentityFile().isPassphraseProtected)
        #expect(try keystore.loadIdentity(passphrase: passphrase).did == created.did)
        #expect(throws: KeystoreError(.passphraseRequired, "this key file is protected by a passphrase")) {
            try keystore.loadIdentity(passphrase: nil)
        }
        #expect {
            try keystore.loadIdentity(passphrase: SecureBytes(Array("wrong horse".utf8)))
        } throws: { ($0 as? KeystoreError)?.code == .wrongPassphrase }
    }

    @Test func refusesToOverwriteAnExistingIdentity() throws {
        defer { cleanup() }
        let keystore = Keystore(home: home)
        var random = SeededRandom(seed: 12)
        try keystore.createIdentity(passphrase: nil, random: &random)
        let before = try Data(contentsOf: URL(fileURLWithPath: keystore.identityPath))
        #expect {
            try keystore.createIdentity(passphrase: nil, random: &random)
        } throws: { ($0 as? KeystoreError)?.code == .alreadyExists }
        #expect(try Data(contentsOf: URL(fileURLWithPath: keystore.identityPath)) == before)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: home) == [Keystore.identityFileName])
    }

    @Test func refusesAKeyReadableByOthers() throws {
        defer { cleanup() }
        let keystore = Keystore(home: home)
        var random = SeededRandom(seed: 13)
        try keystore.createIdentity(passphrase: nil, random: &random)
        chmod(keystore.identityPath, 0o640)
        #expect {
            try keystore.loadIdentity(passphrase: nil)
        } throws: { error in
            guard let error = error as? KeystoreError else { return false }
            return error.code == .insecurePermissions && error.reason.contains("chmod 600")
        }
    }

    @Test func refusesASymlink() throws {
        defer { cleanup() }
        let keystore = Keystore(home: home)
        var random = SeededRandom(seed: 14)
        try keystore.createIdentity(passphrase: nil, random: &random)
        let link = Keystore(home: home + "/other")
        try FileManager.default.createDirectory(atPath: link.home, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: link.identityPath,
            withDestinationPath: keystore.identityPath
        )
        #expect { try link.loadIdentity(passphrase: nil) } throws: {
            ($0 as? KeystoreError)?.code == .insecurePermissions
        }
    }

    @Test func everyCorruptionIsDetected() throws {
        defer { cleanup() }
        let keystore = Keystore(home: home)
        var random = SeededRandom(seed: 15)
        try keystore.createIdentity(passphrase: nil, random: &random)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: keystore.identityPath)))
        var variants: [[UInt8]] = [[], Array(original.prefix(10)), original + [0], Array(original.dropLast())]
        for index in original.indices {
            var flipped = original
            flipped[index] ^= 0x01
            variants.append(flipped)
        }
        for bytes in variants {
            let target = Keystore(home: home + "/corrupt")
            try? FileManager.default.removeItem(atPath: target.home)
            try SecureFile.makeDirectory(target.home)
            try SecureFile.createExclusive(at: target.identityPath, contents: bytes)
            #expect(throws: KeystoreError.self) { try target.loadIdentity(passphrase: nil) }
        }
        // The original is untouched and still loads.
        #expect(try keystore.loadIdentity(passphrase: nil).publicKey.rawRepresentation.count == 32)
    }

    @Test func homeResolutionOrder() {
        #expect(Keystore.resolveHome(explicit: "/a", environment: ["MESHPEER_HOME": "/b", "HOME": "/c"]) == "/a")
        #expect(Keystore.resolveHome(explicit: nil, environment: ["MESHPEER_HOME": "/b", "HOME": "/c"]) == "/b")
        #expect(Keystore.resolveHome(explicit: nil, environment: ["HOME": "/c"]) == "/c/.meshpeer")
    }

    @Test func hostileCostInAKeyFileIsRejected() throws {
        var random = SeededRandom(seed: 16)
        let key = Ed25519.PrivateKey(using: &random)
        let file = try KeyFile.protecting(key, passphrase: SecureBytes([1]), cost: .interactive, random: &random)
        var bytes = file.encoded()
        // memlimit lives at bytes 47..<55 (after magic 4, version, kind, protection, key 32, opslimit 8).
        for index in 47..<55 { bytes[index] = 0xFF }
        #expect { try KeyFile(decoding: bytes) } throws: { ($0 as? WireError)?.code == .invalidValue }
    }
}
