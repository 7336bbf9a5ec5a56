import Foundation
import Kademlia
import KademliaDriver
import MeshCore
import MeshDHT
import MeshNode
import MeshPeer
import NIOCore
import Ratchet
import RelayClient
import RelayFallback
import Testing

/// A stranger with its own relay connection sends knocks to a real node: forged, stale, cheap, replayed and
/// malformed ones, and one honest knock. Only the honest one reaches the owner; each of the others is refused by
/// the gate before any Diffie-Hellman or database write, and counted.
@Suite(.serialized)
struct HostileKnockTests {
    @Test func onlyTheHonestKnockGetsThrough() async throws {
        let mesh = try TestMesh.make("hostile-knock")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            try await mesh.prepareAgent(
                "victim",
                card: TestMesh.card("V", skills: ["victim"]),
                policy: ["default": "hold"],
                relays: [relay]
            )
            try await mesh.startAgent("victim")
            let victim = try mesh.client("victim")
            let victimDID = try await victim.status().did
            let victimKey = try DIDKey.decode(victimDID)

            // The attacker reads the victim's record like anyone can.
            var random = SystemRandom()
            let attacker = AgentIdentity.generate(using: &random)
            let dht = try await DHTNode.start(
                signingKey: attacker.signingKey,
                listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
                seeds: [try TransportAddress.resolve(mesh.bootstrapAddress)],
                storePath: nil,
                group: TestMesh.group
            )
            let record = try await TestMesh.eventually("the victim's record", timeout: .seconds(60)) {
                await dht.agentRecord(did: victimDID)
            }
            await dht.shutdown()
            let profile = try AgentProfile.read(from: record)
            let token = try KnockToken(bytes: profile.knockToken)
            #expect(profile.knockDifficulty == KnockPolicy.defaultDifficulty)

            func knock(token: KnockToken, difficulty: UInt8) throws -> KnockFrame {
                var sessions = PeerSessions(remoteIdentity: victimKey)
                try sessions.startSession(identity: attacker, bundle: profile.prekeyBundle, random: &random)
                let body = try KnockBody(purpose: "hello", introducedBy: nil, senderRelays: [relay], senderName: nil)
                let sealed = try sessions.encrypt(SessionPayload.knock(body).encoded(), random: &random)
                return KnockFrame.make(
                    identity: attacker,
                    recipient: victimKey,
                    token: token,
                    intent: "chat.message",
                    sealed: sealed,
                    issuedAt: SystemClock().now(),
                    difficulty: difficulty,
                    random: &random
                )
            }
            let honest = try knock(token: token, difficulty: profile.knockDifficulty)
            let stale = try knock(token: KnockToken.random(using: &random), difficulty: profile.knockDifficulty)
            let cheap = try knock(token: token, difficulty: 0)
            let valid = try knock(token: token, difficulty: profile.knockDifficulty)
            var signature = valid.signature.rawRepresentation
            signature[0] ^= 0x01
            let forged = KnockFrame(
                knockID: valid.knockID,
                sender: valid.sender,
                recipient: valid.recipient,
                token: valid.token,
                issuedAt: valid.issuedAt,
                intent: valid.intent,
                proofOfWork: valid.proofOfWork,
                sealed: valid.sealed,
                signature: try Ed25519.Signature(rawRepresentation: signature)
            )
            let payloads: [(String, [UInt8])] = [
                ("stale token", MeshEnvelope.knock(stale).encoded()),
                (
                    "too little work",
                    cheap.cheapEnough(profile.knockDifficulty) ? [] : MeshEnvelope.knock(cheap).encoded()
                ),
                ("forged signature", MeshEnvelope.knock(forged).encoded()),
                ("honest", MeshEnvelope.knock(honest).encoded()),
                ("replay of the honest knock", MeshEnvelope.knock(honest).encoded()),
                (
                    "garbage",
                    [MeshEnvelope.currentVersion, MeshEnvelope.Kind.knock.rawValue] + random.bytes(count: 300)
                ),
            ]
            // All but the honest one must be refused (a zero-work knock that meets the difficulty by luck, 1 in
            // 4,096, is not sent).
            let expectedRefusals = payloads.filter { !$0.1.isEmpty && $0.0 != "honest" }.count
            let pool = RelayPool(identity: attacker, candidates: [], group: TestMesh.group)
            defer { Task { await pool.stop() } }
            let hops = RelayRoute.hops(recipientHomes: [relay], ownHomes: [], adverts: [])
            for (name, payload) in payloads where !payload.isEmpty {
                let envelope = OutboundEnvelope(
                    id: EnvelopeID.random(using: &random),
                    recipient: NodeID(publicKey: victimKey),
                    payload: payload
                )
                let result = await pool.send(envelope, via: hops)
                guard case .accepted = result else {
                    throw TestFailure("the relay did not take the \(name): \(result)")
                }
            }
            let held = try await TestMesh.eventually("the honest knock at the owner") {
                try await victim.knocks().first { $0.state == "held" }
            }
            #expect(held.id == honest.knockID.hex)
            let refused = try await TestMesh.eventually("the gate's refusals") {
                let text = try await victim.metrics()
                let count = TestMesh.metric("meshpeer_knocks_refused_total", in: text)
                return count >= expectedRefusals ? count : nil
            }
            #expect(refused == expectedRefusals, "stale token, too little work, forged signature, replay, garbage")
            #expect(try await victim.knocks().count == 1)
            #expect(try await victim.status().knocksPending == 1)
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}

extension HostileKnockTests {
    /// The owner rotates the knock token: the record in the DHT names the new one at once.
    @Test func rotatedTokenIsRepublished() async throws {
        let mesh = try TestMesh.make("token")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            try await mesh.prepareAgent(
                "owner",
                card: TestMesh.card("O", skills: ["own"]),
                policy: [:],
                relays: [relay]
            )
            try await mesh.startAgent("owner")
            let owner = try mesh.client("owner")
            let did = try await owner.status().did
            var random = SystemRandom()
            let reader = try await DHTNode.start(
                signingKey: AgentIdentity.generate(using: &random).signingKey,
                listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
                seeds: [try TransportAddress.resolve(mesh.bootstrapAddress)],
                storePath: nil,
                group: TestMesh.group
            )
            defer { Task { await reader.shutdown() } }
            let before = try await TestMesh.eventually("the owner's record", timeout: .seconds(60)) {
                try await reader.agentRecord(did: did).map { try AgentProfile.read(from: $0).knockToken }
            }
            let rotation = try await owner.rotateKnockToken()
            #expect(rotation.previousValidUntil > rotation.rotatedAt)
            let after = try await TestMesh.eventually("the record with the new token", timeout: .seconds(60)) {
                let token = try await reader.agentRecord(did: did).map { try AgentProfile.read(from: $0).knockToken }
                return token != before ? token : nil
            }
            #expect(after.count == KnockToken.byteCount)
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}

extension KnockFrame {
    /// True when this frame's work happens to meet `difficulty` although it was made with none (then it cannot
    /// stand for a cheap knock).
    func cheapEnough(_ difficulty: UInt8) -> Bool { meetsWork(difficulty) }
}
