import Foundation
import MeshCore
import MeshNode
import MeshPeer
import Testing

/// The owner key directory and the certificate files in an agent's data directory, on real files (decision 0093).
@Suite struct OwnerCredentialsFileTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("owner-\(UUID().uuidString)").path
    }

    @Test func theOwnerKeyIsPrivateSealableAndNeverReplaced() throws {
        let home = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let keystore = OwnerKeystore(home: home)
        var random = SeededRandom(seed: 950)
        let passphrase = SecureBytes(Array("correct horse".utf8))
        let key = try keystore.createKey(passphrase: passphrase, cost: .interactive, random: &random)
        let mode = try FileManager.default.attributesOfItem(atPath: keystore.keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try keystore.readKeyFile().isPassphraseProtected)
        #expect(try keystore.loadKey(passphrase: passphrase).publicKey == key)
        #expect(throws: KeystoreError.self) { try keystore.loadKey(passphrase: SecureBytes(Array("wrong".utf8))) }
        #expect(throws: KeystoreError.self) { try keystore.createKey(passphrase: nil, random: &random) }
        #expect(
            OwnerKeystore.resolveHome(explicit: nil, environment: ["HOME": "/home/o"]) == "/home/o/.meshpeer-owner"
        )
        #expect(OwnerKeystore.resolveHome(explicit: nil, environment: ["MESHPEER_OWNER_HOME": "/x"]) == "/x")
    }

    @Test func certificatesAndRevocationsRoundTripAndMalformedFilesAreNamed() throws {
        let home = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(try OwnerCredentialsFile.credentials(home: home) == nil)
        var random = SeededRandom(seed: 951)
        let owner = Ed25519.PrivateKey(using: &random)
        let agent = AgentIdentity.generate(using: &random).publicKey
        let start = Timestamp(secondsSinceEpoch: 1_796_414_400)
        let certificate = OwnerCertificate.issue(
            owner: owner,
            agent: agent,
            serial: 9,
            issuedAt: start,
            expiresAt: start + .seconds(3_600)
        )
        try OwnerCredentialsFile.writeCertificate(certificate, home: home)
        for index in 0..<(OwnerCredentialsFile.maximumRevocations + 2) {
            let revocation = OwnerRevocation.issue(
                owner: owner,
                agent: agent,
                serial: UInt64(index),
                revokedAt: start + .seconds(Int64(index))
            )
            try OwnerCredentialsFile.addRevocation(revocation, home: home)
            try OwnerCredentialsFile.addRevocation(revocation, home: home)  // a repeat is stored once
        }
        let revocations = try OwnerCredentialsFile.revocations(home: home)
        #expect(revocations.count == OwnerCredentialsFile.maximumRevocations)
        #expect(revocations.first?.serial == 2)  // the oldest two were dropped
        let credentials = try #require(try OwnerCredentialsFile.credentials(home: home))
        #expect(credentials.certificate == certificate)
        #expect(credentials.revocations.map(\.serial) == [UInt64(OwnerCredentialsFile.maximumRevocations + 1)])

        let path = OwnerCredentialsFile.revocationsPath(home: home)
        try SecureFile.replace(at: path, contents: [UInt8](repeating: 1, count: 10))
        #expect(throws: ConfigurationError.self) { try OwnerCredentialsFile.revocations(home: home) }
        try SecureFile.replace(
            at: OwnerCredentialsFile.certificatePath(home: home),
            contents: [UInt8](repeating: 0, count: 153)
        )
        #expect(throws: ConfigurationError.self) { try OwnerCredentialsFile.certificate(home: home) }
    }
}
