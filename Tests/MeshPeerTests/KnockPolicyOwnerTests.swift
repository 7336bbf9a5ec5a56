import Foundation
import MeshCore
import Testing

@testable import MeshPeer

/// `requireOwner`, `owners` and `tiers` in the knock policy (decision 0093).
@Suite struct KnockPolicyOwnerTests {
    let owner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 940)
        return Ed25519.PrivateKey(using: &random)
    }()
    let stranger: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 941)
        return Ed25519.PrivateKey(using: &random)
    }()
    let knocker = Agent(seed: 942)
    let other = Agent(seed: 943)

    func credentials(
        by key: Ed25519.PrivateKey? = nil,
        for agent: Ed25519.PublicKey? = nil,
        expiresAt: Timestamp = epoch + .seconds(86_400),
        revoked: Bool = false
    ) -> OwnerCredentials {
        let key = key ?? owner
        let agent = agent ?? knocker.key
        let certificate = OwnerCertificate.issue(
            owner: key,
            agent: agent,
            serial: 3,
            issuedAt: epoch - .seconds(60),
            expiresAt: expiresAt
        )
        let revocations = revoked ? [OwnerRevocation.issue(owner: key, agent: agent, serial: 3, revokedAt: epoch)] : []
        return OwnerCredentials(certificate: certificate, revocations: revocations)
    }

    var policy: KnockPolicy {
        KnockPolicy(
            default: .accept,
            intents: ["chat.message": .hold],
            requireOwner: ["task.*": [owner.publicKey.did]],
            tiers: [.ownerVerified: .accept]
        )
    }

    func judge(_ intent: String, _ credentials: OwnerCredentials?) -> KnockJudgement {
        policy.judge(
            sender: knocker.key,
            intent: intent,
            introducedByContact: false,
            credentials: credentials,
            now: epoch
        )
    }

    func rejection(_ judgement: KnockJudgement) -> String? {
        if case .reject(let rule) = judgement.verdict { return rule }
        return nil
    }

    @Test func aRequiredCertificateFromTheListedOwnerIsAccepted() {
        let judgement = judge("task.request", credentials())
        #expect(judgement.verdict == .accept(rule: "tiers[owner-verified]"))
        #expect(judgement.tier == .ownerVerified)
        #expect(judgement.certificateDetail == "verified by \(owner.publicKey.did)")
    }

    @Test func everyCertificateFailureRejectsWithItsReason() {
        let cases: [(OwnerCredentials?, String)] = [
            (nil, "requireOwner[task.*]: missing:"),
            (credentials(by: stranger), "requireOwner[task.*]: owner-not-listed:"),
            (credentials(for: other.key), "requireOwner[task.*]: other-agent:"),
            (credentials(expiresAt: epoch - .seconds(1)), "requireOwner[task.*]: expired:"),
            (credentials(revoked: true), "requireOwner[task.*]: revoked:"),
        ]
        for (presented, prefix) in cases {
            let judgement = judge("task.request", presented)
            #expect(rejection(judgement)?.hasPrefix(prefix) == true, "\(prefix) got \(judgement.verdict)")
            #expect(judgement.tier == .unknown)
        }
        var forgedBytes = credentials().encoded()
        forgedBytes[70] ^= 1
        let forged = try? OwnerCredentials(decoding: forgedBytes)
        #expect(forged != nil)
        #expect(rejection(judge("task.request", forged))?.hasPrefix("requireOwner[task.*]: forged:") == true)
    }

    @Test func intentsWithoutARequirementIgnoreAMissingCertificateButUseAVerifiedOne() {
        #expect(judge("chat.message", nil).verdict == .hold(rule: "intents[chat.message]"))
        // The owner is named in requireOwner, so its certificate makes the knocker owner-verified everywhere.
        #expect(judge("chat.message", credentials()).verdict == .accept(rule: "tiers[owner-verified]"))
        // An unlisted owner's certificate verifies nothing: no tier, the intent rule decides.
        let unlisted = judge("chat.message", credentials(by: stranger))
        #expect(unlisted.verdict == .hold(rule: "intents[chat.message]"))
        #expect(unlisted.tier == .unknown)
        if case .failure(let refusal)? = unlisted.certificate { #expect(refusal.code == .ownerNotListed) }
    }

    @Test func denyStillComesFirst() {
        var denying = policy
        denying.deny = [knocker.key.did]
        let judgement = denying.judge(
            sender: knocker.key,
            intent: "task.request",
            introducedByContact: false,
            credentials: credentials(),
            now: epoch
        )
        #expect(judgement.verdict == .reject(rule: "deny"))
    }

    @Test func thePolicyFileKeysDecodeStrictly() throws {
        let did = owner.publicKey.did
        let json = """
            {"requireOwner": {"task.*": ["\(did)"]}, "owners": ["\(did)"], "tiers": {"owner-verified": "accept"}}
            """
        let decoded = try JSONDecoder().decode(KnockPolicy.self, from: Data(json.utf8))
        #expect(decoded.requireOwner == ["task.*": [did]])
        #expect(decoded.tiers == [.ownerVerified: .accept])
        let again = try JSONDecoder().decode(KnockPolicy.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
        let bad = [
            #"{"tiers": {"friend": "accept"}}"#,
            #"{"requireOwner": {"task.*": ["did:web:example.com"]}}"#,
            #"{"requireOwner": {"Task!": ["\#(did)"]}}"#,
            #"{"requireOwner": {"task.*": []}}"#,
            #"{"owners": ["nope"]}"#,
        ]
        for json in bad {
            #expect(throws: DecodingError.self, "\(json)") {
                try JSONDecoder().decode(KnockPolicy.self, from: Data(json.utf8))
            }
        }
    }
}

/// The knocker's published record in `judge` (decision 0093): its revocations and a newer certificate count.
@Suite struct KnockPolicyPublishedTests {
    let base = KnockPolicyOwnerTests()

    @Test func aRevocationInTheRecordRefusesTheKnockedCertificate() {
        let presented = base.credentials()
        let revoked = base.credentials(revoked: true)
        let judgement = base.policy.judge(
            sender: base.knocker.key,
            intent: "task.request",
            introducedByContact: false,
            credentials: presented,
            published: revoked,
            now: epoch
        )
        #expect(base.rejection(judgement)?.hasPrefix("requireOwner[task.*]: revoked:") == true)
        // The same record without a revocation changes nothing.
        let fine = base.policy.judge(
            sender: base.knocker.key,
            intent: "task.request",
            introducedByContact: false,
            credentials: presented,
            published: presented,
            now: epoch
        )
        #expect(fine.tier == .ownerVerified)
    }

    @Test func aNewerCertificateInTheRecordSupersedesAnOlderSerial() {
        let older = OwnerCredentials(
            certificate: OwnerCertificate.issue(
                owner: base.owner,
                agent: base.knocker.key,
                serial: 1,
                issuedAt: epoch,
                expiresAt: epoch + .seconds(86_400)
            )
        )
        let judgement = base.policy.judge(
            sender: base.knocker.key,
            intent: "task.request",
            introducedByContact: false,
            credentials: older,
            published: base.credentials(),  // serial 3
            now: epoch
        )
        #expect(base.rejection(judgement)?.contains("superseded by 3") == true)
        // A forged newer certificate in the record supersedes nothing.
        var forgedBytes = base.credentials().encoded()
        forgedBytes[70] ^= 1
        let forged = try? OwnerCredentials(decoding: forgedBytes)
        let kept = base.policy.judge(
            sender: base.knocker.key,
            intent: "task.request",
            introducedByContact: false,
            credentials: older,
            published: forged,
            now: epoch
        )
        #expect(kept.tier == .ownerVerified)
    }
}
