import Foundation
import Kademlia
import MeshCore
import MeshDHT
import MeshNode
import MeshPeer
import NIOCore
import Ratchet
import RelayFallback

/// What a knocker learns from the victim's DHT record: its key, prekey bundle, knock token and difficulty, homes.
struct KnockTargetInfo: Sendable {
    var key: Ed25519.PublicKey
    var bundle: PrekeyBundle
    var token: KnockToken
    var difficulty: UInt8
    var homes: [String]

    /// Looks `did` up through a DHT node of the bench's own (joined through `bootstrap`), as a stranger would.
    static func lookUp(did: String, bootstrap: String, group: any EventLoopGroup) async throws -> KnockTargetInfo {
        let parts = bootstrap.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]),
            let seed = TransportAddress(ip: parts[0].split(separator: ".").compactMap { UInt8($0) }, port: port)
        else { throw BenchError("cannot read the bootstrap address \(bootstrap)") }
        var random = SystemRandom()
        let dht = try await DHTNode.start(
            signingKey: AgentIdentity.generate(using: &random).signingKey,
            listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
            seeds: [seed],
            storePath: nil,
            group: group
        )
        do {
            let record = try await eventually("the victim's record from the bench's DHT node", timeout: .seconds(60)) {
                await dht.agentRecord(did: did)
            }
            await dht.shutdown()
            let profile = try AgentProfile.read(from: record)
            return KnockTargetInfo(
                key: profile.prekeyBundle.identityKey,
                bundle: profile.prekeyBundle,
                token: try KnockToken(bytes: profile.knockToken),
                difficulty: profile.knockDifficulty,
                homes: profile.homeRelays
            )
        } catch {
            await dht.shutdown()
            throw error
        }
    }
}

/// Real knocks from fresh identities, made before the flood (making one costs an identity, an X3DH run, a seal, a
/// signature and the proof of work, far more than sending it): each from its own new `AgentIdentity`, sealed to
/// the victim's signed prekey, with the victim's current token and difficulty (`valid`), or with a random token
/// and no work (stale: the gate refuses those on the token, before it checks the work).
enum KnockPool {
    struct Pool: Sendable {
        var envelopes: [OutboundEnvelope]
        var seconds: Double
        var bytes: Int
    }

    static func make(count: Int, target: KnockTargetInfo, validToken: Bool, threads: Int) throws -> Pool {
        let threads = max(threads, 1)
        let parts = LockedValue<[[OutboundEnvelope]]>(Array(repeating: [], count: threads))
        let failure = LockedValue<String?>(nil)
        let started = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            let share = count / threads + (part < count % threads ? 1 : 0)
            var made: [OutboundEnvelope] = []
            made.reserveCapacity(share)
            var random = SystemRandom()
            do {
                for index in 0..<share {
                    made.append(try knock(index: index, target: target, validToken: validToken, random: &random))
                }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            let done = made
            parts.withLock { $0[part] = done }
        }
        if let message = failure.withLock({ $0 }) { throw BenchError("making knocks failed: \(message)") }
        let envelopes = parts.withLock { $0 }.flatMap { $0 }
        return Pool(
            envelopes: envelopes,
            seconds: milliseconds(since: started) / 1_000,
            bytes: envelopes.first?.payload.count ?? 0
        )
    }

    static func knock(
        index: Int,
        target: KnockTargetInfo,
        validToken: Bool,
        random: inout SystemRandom
    ) throws -> OutboundEnvelope {
        let identity = AgentIdentity.generate(using: &random)
        var session = try RatchetSession.initiate(identity: identity, bundle: target.bundle, random: &random)
        let body = try KnockBody(purpose: "meshbench knock flood \(index)")
        let sealed = try session.encrypt(SessionPayload.knock(body).encoded(), random: &random)
        let frame = KnockFrame.make(
            identity: identity,
            recipient: target.key,
            token: validToken ? target.token : KnockToken.random(using: &random),
            intent: "chat.message",
            sealed: sealed,
            issuedAt: SystemClock().now(),
            difficulty: validToken ? target.difficulty : 0,
            random: &random
        )
        return OutboundEnvelope(
            id: frame.knockID.envelopeID,
            recipient: NodeID(publicKey: target.key),
            payload: MeshEnvelope.knock(frame).encoded()
        )
    }
}
