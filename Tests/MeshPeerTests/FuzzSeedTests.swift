import Foundation
import MeshCore
import Ratchet
import Testing

@testable import MeshPeer

/// The seeds of `Fuzz/Sources/FuzzMeshEnvelope`: valid encodings of each frame and payload, made from seeded
/// identities (public keys and signatures only; no key is ever written). `MESHPEER_WRITE_FUZZ_SEEDS=1 swift test
/// --filter FuzzSeedTests` rewrites them; every run checks that the committed seeds still decode and round-trip.
@Suite struct FuzzSeedTests {
    var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds/FuzzMeshEnvelope")
    }

    func seeds() throws -> [String: [UInt8]] {
        var random = SeededRandom(seed: 50)
        let alice = Agent(seed: 1)
        let bob = Agent(seed: 2)
        let frame = try knock(from: alice, to: bob, random: &random)
        var sessions = PeerSessions(remoteIdentity: bob.key)
        try sessions.startSession(identity: alice.identity, bundle: bob.bundle, random: &random)
        let ratchet = try sessions.encrypt(bytes("hello"), random: &random)
        let id = MessageID.random(using: &random)
        let message = try AgentMessage(
            id: id,
            sequence: 1,
            createdAt: epoch,
            expiresAt: epoch + .seconds(60),
            inReplyTo: MessageID.random(using: &random),
            intent: Intent.chatMessage,
            body: bytes(#"{"text":"hello"}"#)
        )
        return [
            "envelope-knock": MeshEnvelope.knock(frame).encoded(),
            "envelope-session": MeshEnvelope.session(
                SessionFrame(
                    sender: alice.key,
                    messageID: try MessageID(bytes: Array(repeating: 7, count: 16)),
                    ratchet: ratchet
                )
            ).encoded(),
            "payload-knock": SessionPayload.knock(try largestKnockBody()).encoded(),
            "payload-message": SessionPayload.message(message).encoded(),
            "payload-receipt": SessionPayload.receipt([id]).encoded(),
            "payload-path-offer": SessionPayload.path(
                .offer(
                    .init(
                        attempt: 1,
                        sentAt: epoch,
                        tieBreak: 2,
                        channelID: 3,
                        ciphers: ["aes256gcm", "xchacha20poly1305"],
                        share: Array(repeating: 9, count: 32),
                        ice: PathICE(
                            ufrag: "abcd1234",
                            pwd: "abcdefghijklmnopqrstuvwx",
                            candidates: ["candidate:1 1 udp 2130706431 192.0.2.2 40000 typ host"],
                            endOfCandidates: true,
                            natMapping: "endpoint-dependent",
                            natPublicIP: "203.0.113.40"
                        )
                    )
                )
            ).encoded(),
            "payload-path-candidates": SessionPayload.path(
                .candidates(
                    attempt: 1,
                    sentAt: epoch,
                    candidates: [
                        "candidate:2 1 udp 1694498815 203.0.113.40 51000 typ srflx raddr 192.0.2.34 rport 40000"
                    ],
                    endOfCandidates: true
                )
            ).encoded(),
            "payload-path-close": SessionPayload.path(.close(attempt: 1, sentAt: epoch, reason: "idle")).encoded(),
            "payload-knock-decision": SessionPayload.knockDecision(
                try KnockDecisionNotice(
                    knockID: frame.knockID,
                    accepted: true,
                    recipientRelays: ["wss://relay.example"]
                )
            ).encoded(),
        ]
    }

    @Test func theCommittedSeedsDecodeAndRoundTrip() throws {
        if ProcessInfo.processInfo.environment["MESHPEER_WRITE_FUZZ_SEEDS"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in try seeds() {
                try Data(bytes).write(to: folder.appendingPathComponent(name))
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count >= 6)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            if name.hasPrefix("envelope-") {
                #expect(try MeshEnvelope.decode(bytes).encoded() == bytes, "\(name)")
            } else {
                #expect(try SessionPayload.decode(bytes).encoded() == bytes, "\(name)")
            }
        }
    }

    @Test func theFuzzGateAdmitsTheKnockSeed() throws {
        // The harness's gate uses Bob's key (seed 2), token 1...8 and difficulty 0 at `epoch`: the seed knock passes,
        // so the fuzzer starts from an input that reaches the signature check and beyond.
        var gate = KnockGate()
        let seed = try #require(try seeds()["envelope-knock"])
        let result = gate.admit(seed, ours: Agent(seed: 2).key, tokens: [token], difficulty: 0, now: epoch)
        #expect((try? result.get()) != nil)
    }
}
