import Foundation
import MeshCore
import MeshPeer
import Testing

/// Invite text (decision 0083): a round trip, and a clear refusal for everything else.
@Suite struct InviteTests {
    let agent = ProfileFixture.identity(1)

    func invite(expiresAt: Timestamp? = nil, seed: UInt64 = 3) throws -> Invite {
        var random = SeededRandom(seed: seed)
        return try Invite.make(for: agent.publicKey, expiresAt: expiresAt, random: &random)
    }

    func refusal(_ text: String) -> InviteError.Code? {
        do {
            _ = try Invite.parse(text)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func anInviteRoundTrips() throws {
        let made = try invite(expiresAt: ProfileFixture.start + .seconds(3_600))
        #expect(made.text.hasPrefix("meshpeer:invite:v1:"))
        #expect(made.text.count < 100)
        let parsed = try Invite.parse("  \(made.text)\n")
        #expect(parsed.did == agent.did)
        #expect(parsed.secret.constantTimeEquals(made.secret))
        #expect(parsed.expiresAt == ProfileFixture.start + .seconds(3_600))
        #expect(try Invite.parse(try invite().text).expiresAt == nil)
        // Two invites for one agent share nothing but the agent key.
        #expect(try invite(seed: 4).text != made.text)
        #expect(InviteSlot(made).key != InviteSlot(try invite(seed: 4)).key)
        #expect(InviteSlot(made).id == InviteSlot(parsed).id)
    }

    @Test func malformedInvitesAreRefusedWithTheirReason() throws {
        let text = try invite().text
        #expect(refusal("") == .malformed)
        #expect(refusal("did:key:z6Mk") == .malformed)
        #expect(refusal("meshpeer:invite:v2:abc") == .unsupportedVersion)
        #expect(refusal("meshpeer:invite:v1:") == .malformed)
        #expect(refusal("meshpeer:invite:v1:0OIl") == .malformed)
        #expect(refusal(text + "1") == .malformed)
        #expect(refusal(String(text.dropLast(3))) == .malformed)
        #expect(refusal(String(repeating: "z", count: 10_000)) == .malformed)
        #expect(refusal("meshpeer:invite:v1:" + String(repeating: "z", count: 130)) == .malformed)
    }

    @Test func aMistypedCharacterFailsTheChecksum() throws {
        let text = Array(try invite().text)
        var failures = 0
        // Change each payload character in turn: the checksum (or, rarely, the length) catches every one.
        for index in "meshpeer:invite:v1:".count..<text.count {
            var typo = text
            typo[index] = typo[index] == "2" ? "3" : "2"
            let code = refusal(String(typo))
            #expect(code == .badChecksum || code == .malformed)
            if code != nil { failures += 1 }
        }
        #expect(failures == text.count - "meshpeer:invite:v1:".count)
    }

    @Test func anExpiredInviteIsRefused() throws {
        let made = try invite(expiresAt: ProfileFixture.start + .seconds(60))
        try made.checkExpiry(now: ProfileFixture.start)
        #expect(throws: InviteError(.expired, "the invite expired at \(made.expiresAt!)")) {
            try made.checkExpiry(now: ProfileFixture.start + .seconds(60))
        }
    }
}

extension InviteTests {
    /// The fuzz seed was written by an independent implementation (Python: base58, SHA-256 checksum) from
    /// docs/exposure.md's description; this build must read it.
    @Test func theIndependentlyWrittenSeedInviteParses() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "Fuzz/Seeds/FuzzInvite/invite"
            )
        let bytes = try [UInt8](Data(contentsOf: seed))
        let invite = try Invite.parse(String(decoding: bytes.dropFirst(), as: UTF8.self))
        #expect(invite.did == "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
        #expect(invite.secret.copyBytes() == [UInt8](repeating: 7, count: 16))
        #expect(invite.expiresAt == Timestamp(secondsSinceEpoch: 1_800_000_000))
        let bad = try [UInt8](
            Data(contentsOf: seed.deletingLastPathComponent().appendingPathComponent("invite-bad-checksum"))
        )
        #expect(refusal(String(decoding: bad.dropFirst(), as: UTF8.self)) == .badChecksum)
    }
}
