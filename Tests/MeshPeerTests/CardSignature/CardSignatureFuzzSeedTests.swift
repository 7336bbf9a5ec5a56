import Foundation
import MeshCore
import MeshPeer
import Testing

/// The seeds of `Fuzz/Sources/FuzzCardSignature`: a signed owner card, a signed default card, and the RFC 8785
/// sample. `MESHPEER_WRITE_FUZZ_SEEDS=1 swift test --filter CardSignatureFuzzSeedTests` rewrites them; every run
/// checks that the committed signed seeds still verify under the DID the harness names.
@Suite struct CardSignatureFuzzSeedTests {
    var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "Fuzz/Seeds/FuzzCardSignature"
            )
    }

    /// The DID `FuzzCardSignature.swift` verifies against: identity seed 1's.
    let harnessDID = "did:key:z6MkvJJ3CFAF9hiSc7sf2zoSrTKGUjcwiKnctQYbEQxA7NJ1"

    func seeds() throws -> [String: [UInt8]] {
        let identity = ProfileFixture.identity(1)
        let owner = try StrictJSON.parse(Array(ProfileFixture.ownerCardJSON.utf8), maximumBytes: 1 << 16)
        return [
            "signed-owner-card": try JCS.canonicalize(try AgentCardSignature.sign(card: owner, identity: identity)),
            "signed-compact-card": try AgentProfile.signedCompactCard(
                AgentCard.defaultCard(name: "seed", did: identity.did),
                identity: identity
            ),
            "rfc8785-sample": Array(
                #"{"numbers":[333333333.33333329,1E30,4.50,2e-3,1e-27],"string":"\u20ac$\u000F\u000aA'\u0042","literals":[null,true,false]}"#
                    .utf8
            ),
        ]
    }

    @Test func theSeedsAreSignedByTheHarnessDID() throws {
        #expect(ProfileFixture.identity(1).did == harnessDID)
        let seeds = try seeds()
        if ProcessInfo.processInfo.environment["MESHPEER_WRITE_FUZZ_SEEDS"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in seeds { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        }
        for name in ["signed-owner-card", "signed-compact-card"] {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            try AgentCardSignature.verify(cardBytes: bytes, did: harnessDID)
        }
        _ = try StrictJSON.parse(
            try [UInt8](Data(contentsOf: folder.appendingPathComponent("rfc8785-sample"))),
            maximumBytes: 4_096
        )
    }
}
