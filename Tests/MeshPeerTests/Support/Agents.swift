import MeshCore
import Ratchet
import Testing

@testable import MeshPeer

/// An agent with its identity and signed prekey (no one-time prekeys, as in a published record), from a seed.
struct Agent {
    let identity: AgentIdentity
    var prekeys: PrekeySecrets

    init(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        identity = AgentIdentity.generate(using: &random)
        prekeys = PrekeySecrets(
            identity: identity,
            schedule: PrekeySchedule(oneTimePrekeyBatch: 0),
            now: .zero,
            random: &random
        )
    }

    var key: Ed25519.PublicKey { identity.publicKey }
    var bundle: PrekeyBundle { prekeys.bundle(identity: identity) }
}

/// 2026-12-04 20:00:00 UTC.
let epoch = Timestamp(secondsSinceEpoch: 1_796_414_400)
let token = try! KnockToken(bytes: [1, 2, 3, 4, 5, 6, 7, 8])

/// A body at every bound: the largest knock there can be.
func largestKnockBody() throws -> KnockBody {
    try KnockBody(
        purpose: String(repeating: "p", count: KnockBody.maximumPurposeByteCount),
        introducedBy: Agent(seed: 99).identity.did,
        senderRelays: Array(repeating: String(repeating: "r", count: KnockBody.maximumRelayByteCount), count: 4),
        senderName: String(repeating: "n", count: KnockBody.maximumNameByteCount)
    )
}

/// `sender` starts a session with `recipient`'s bundle and seals `body` into a knock.
func knock(
    from sender: Agent,
    to recipient: Agent,
    body: KnockBody? = nil,
    intent: String = Intent.chatMessage,
    token: KnockToken = token,
    issuedAt: Timestamp = epoch,
    difficulty: UInt8 = 0,
    random: inout SeededRandom
) throws -> KnockFrame {
    var sessions = PeerSessions(remoteIdentity: recipient.key)
    try sessions.startSession(identity: sender.identity, bundle: recipient.bundle, random: &random)
    let body = try body ?? KnockBody(purpose: "translate a contract", senderRelays: ["wss://relay.example:443"])
    let sealed = try sessions.encrypt(SessionPayload.knock(body).encoded(), random: &random)
    return KnockFrame.make(
        identity: sender.identity,
        recipient: recipient.key,
        token: token,
        intent: intent,
        sealed: sealed,
        issuedAt: issuedAt,
        difficulty: difficulty,
        random: &random
    )
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Every strict prefix of `encoded` must throw (never trap, never decode).
func expectEveryTruncationThrows(_ encoded: [UInt8], _ decode: ([UInt8]) throws -> Void) {
    for length in 0..<encoded.count {
        #expect(throws: WireError.self, "prefix of \(length) bytes") { try decode(Array(encoded.prefix(length))) }
    }
}
