import DirectPath
import DirectPathDriver
import Foundation
import ICE
import ICEDriver
import MeshCore

/// The lab's direct-path check: after ICE selects a pair, move N bytes over a `DirectChannel` on it and report the
/// SHA-256 of what was sent or received, so the lab compares both ends.
///
/// Lab only: the channel's session secret is derived from the two ICE descriptions the processes exchanged through
/// files, and the identities are fixed lab keys. In the node the secret comes from the end-to-end session that
/// carried the descriptions, and the keys are the agents' own (docs/direct-path.md).
enum LabTransfer {
    static let messageSize = 65_536

    /// The description file: the ICE description (what the aioice interop peer reads too) plus `directCiphers`, the
    /// channel ciphers this host offers, fastest first (in the node this list travels in the end-to-end session).
    static func offer(_ description: ICEDescription, encoder: JSONEncoder) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: encoder.encode(description)) as? [String: Any] else {
            throw LabError("the ICE description did not encode as a JSON object")
        }
        object["directCiphers"] = ChannelCipher.supported.map(\.rawValue)
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// The peer's offered ciphers; none (so XChaCha20-Poly1305) from a peer that offers no list.
    static func offeredCiphers(_ data: Data) -> [ChannelCipher] {
        struct Offer: Decodable { var directCiphers: [String]? }
        return ChannelCipher.parse((try? JSONDecoder().decode(Offer.self, from: data))?.directCiphers ?? [])
    }

    static func keys(
        controlling: ICEDescription,
        controlled: ICEDescription,
        cipher: ChannelCipher
    ) throws -> ChannelKeys {
        let material =
            Array("meshpeer/v1/lab-direct".utf8)
            + Array((controlling.credentials.ufrag + ":" + controlling.credentials.pwd).utf8) + [0]
            + Array((controlled.credentials.ufrag + ":" + controlled.credentials.pwd).utf8)
        let secret = SecureBytes(SHA256.hash(material))
        let initiator = try Ed25519.PrivateKey(seed: SecureBytes(SHA256.hash(Array("lab initiator".utf8))))
        let responder = try Ed25519.PrivateKey(seed: SecureBytes(SHA256.hash(Array("lab responder".utf8))))
        return try ChannelKeys(
            sessionSecret: secret,
            initiator: initiator.publicKey,
            responder: responder.publicKey,
            context: Array((controlling.credentials.ufrag + controlled.credentials.ufrag).utf8),
            cipher: cipher
        )
    }

    /// The controlling side sends `bytes` of seeded pseudo-random data; the controlled side receives them.
    static func run(
        session: ICESession,
        isSender: Bool,
        keys: ChannelKeys,
        bytes: Int,
        hold: Duration = .zero,
        until deadline: ContinuousClock.Instant
    ) async -> [String: String] {
        let clock = SystemClock()
        let channel = DirectChannel(
            keys: keys,
            isInitiator: isSender,
            localChannelID: isSender ? 1 : 2,
            remoteChannelID: isSender ? 2 : 1,
            now: clock.now()
        )
        let transport = DirectTransport(session: session, channel: channel, clock: clock)
        await transport.start()
        let started = ContinuousClock.now
        var result: [String: String] = [:]
        let work: @Sendable () async throws -> [UInt8] = {
            var digest: [UInt8] = []
            if isSender {
                var random = SeededRandom(seed: 0x4D50)
                var sent = 0
                while sent < bytes {
                    let chunk = random.bytes(count: min(messageSize, bytes - sent))
                    digest = SHA256.hash(digest + SHA256.hash(chunk))
                    try await transport.send(chunk)
                    sent += chunk.count
                }
                try await transport.waitUntilAcknowledged()
            } else {
                var received = 0
                while received < bytes, let chunk = try await transport.receive() {
                    digest = SHA256.hash(digest + SHA256.hash(chunk))
                    received += chunk.count
                }
                guard received == bytes else { throw DirectTransportError.closed(.idleTimeout) }
            }
            return digest
        }
        let outcome = await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try? await work() }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let elapsed = ContinuousClock.now - started
        let quality = await transport.pathQuality
        let statistics = await transport.statistics
        if let digest = outcome {
            result["transfer_sha256"] = Hex.encode(digest)
            result["transfer_bytes"] = String(bytes)
            result["transfer_ms"] = String(format: "%.0f", elapsed.milliseconds)
            result["transfer_mbps"] = String(format: "%.1f", Double(bytes) * 8 / max(elapsed.milliseconds, 1) / 1e3)
        } else {
            result["transfer_error"] = "did not complete before the deadline"
        }
        result["transfer_rtt_ms"] = String(format: "%.2f", quality.smoothedRTT.milliseconds)
        result["transfer_datagram_size"] = String(quality.datagramSize)
        result["transfer_cipher"] = keys.cipher.rawValue
        result["transfer_packets_lost"] = String(statistics.packetsLost)
        result["transfer_rebinds"] = String(await transport.rebinds)
        result["transfer_dropped_incoming"] = String(await session.droppedIncoming())
        if hold > .zero, outcome != nil {
            let alive = await Self.hold(transport: transport, isSender: isSender, for: hold, until: deadline)
            result["hold_seconds"] = String(format: "%.0f", hold.milliseconds / 1_000)
            result["hold_round_trip"] = alive ? "ok" : "failed"
        }
        let selected = (try? await session.selectedPair()) ?? nil
        result["ice_selected_remote"] = selected.map { "\($0.remote)" } ?? "none"
        await transport.close()
        return result
    }

    /// Keeps the channel idle for `duration` (on purpose: only its keepalives and ICE's consent checks run, which is
    /// what the lab's rebinding scenario tests past the 30 s consent timeout), then one message from the sender that
    /// must be received and acknowledged before the deadline.
    static func hold(
        transport: DirectTransport,
        isSender: Bool,
        for duration: Duration,
        until deadline: ContinuousClock.Instant
    ) async -> Bool {
        try? await Task.sleep(for: duration)
        let probe = Array("still here".utf8)
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    if isSender {
                        try await transport.send(probe)
                        try await transport.waitUntilAcknowledged()
                        return true
                    }
                    return try await transport.receive() == probe
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
