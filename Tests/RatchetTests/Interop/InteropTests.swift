import Foundation
import MeshCore
import Testing

@testable import Ratchet

/// Swift against PyPI's `x3dh` + `doubleratchet` (configured to our constructions), plain-header variant.
///
/// Runs when MESHPEER_RATCHET_INTEROP_PYTHON names the venv's python; scripts/test.d/40-ratchet-interop.sh sets it,
/// installs the Python side, and fails unless this test ran and passed.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MESHPEER_RATCHET_INTEROP_PYTHON"] != nil))
struct InteropTests {
    let python = ProcessInfo.processInfo.environment["MESHPEER_RATCHET_INTEROP_PYTHON"] ?? ""

    @Test func swiftInitiatesPythonResponds() throws {
        var random = SeededRandom(seed: 61)
        let peer = try PythonPeer(python: python)
        let swift = Party(seed: 1)
        let bundle = try peer.call(["op": "create", "seed": Hex.encode(random.bytes(count: 32)), "prekeys": 3])
        let pythonBundle = PrekeyBundle(
            identityKey: try Ed25519.PublicKey(rawRepresentation: InteropJSON.hex(bundle["ik"])),
            signedPrekey: try X25519.PublicKey(rawRepresentation: InteropJSON.hex(bundle["spk"])),
            signedPrekeySignature: try Ed25519.Signature(rawRepresentation: InteropJSON.hex(bundle["sig"])),
            oneTimePrekeys: try (bundle["opks"] as? [String] ?? []).map {
                try X25519.PublicKey(rawRepresentation: InteropJSON.hex($0))
            }
        )
        // Python signed its prekey with XEdDSA-layout Ed25519 over our domain-prefixed bytes; we verify it here.
        let (agreement, header) = try X3DH.initiate(identity: swift.identity, bundle: pythonBundle, random: &random)
        var ratchet = try DoubleRatchet.initiator(
            sharedSecret: agreement.sharedSecret,
            associatedData: agreement.associatedData,
            remoteRatchetKey: pythonBundle.signedPrekey,
            headerEncryption: false,
            random: &random
        )
        let first = try ratchet.encrypt(bytes("hello from swift"), random: &random)
        let accepted = try peer.call([
            "op": "accept",
            "x3dh": [
                "ik": Hex.encode(header.identityKey.rawRepresentation),
                "ek": Hex.encode(header.ephemeralKey.rawRepresentation),
                "spk": Hex.encode(header.signedPrekey.rawRepresentation),
                "opk": header.oneTimePrekey.map { Hex.encode($0.rawRepresentation) } as Any,
            ],
            "message": try InteropJSON.message(first),
        ])
        #expect(try InteropJSON.hex(accepted["secret"]) == agreement.sharedSecret.copyBytes())
        #expect(try InteropJSON.hex(accepted["ad"]) == agreement.associatedData)
        #expect(try InteropJSON.hex(accepted["plaintext"]) == bytes("hello from swift"))
        try converse(&ratchet, with: peer, random: &random)
    }

    @Test func pythonInitiatesSwiftResponds() throws {
        var random = SeededRandom(seed: 62)
        let peer = try PythonPeer(python: python)
        let swift = Party(seed: 2, oneTimePrekeys: 3)
        let bundle = swift.bundle
        _ = try peer.call(["op": "create", "seed": Hex.encode(random.bytes(count: 32)), "prekeys": 1])
        let started = try peer.call([
            "op": "initiate",
            "bundle": [
                "ik": Hex.encode(bundle.identityKey.rawRepresentation),
                "spk": Hex.encode(bundle.signedPrekey.rawRepresentation),
                "sig": Hex.encode(bundle.signedPrekeySignature.rawRepresentation),
                "opks": bundle.oneTimePrekeys.map { Hex.encode($0.rawRepresentation) },
            ],
            "plaintext": Hex.encode(bytes("hello from python")),
        ])
        let x3dh = started["x3dh"] as? [String: Any] ?? [:]
        let header = X3DHInitialHeader(
            identityKey: try Ed25519.PublicKey(rawRepresentation: InteropJSON.hex(x3dh["ik"])),
            ephemeralKey: try X25519.PublicKey(rawRepresentation: InteropJSON.hex(x3dh["ek"])),
            signedPrekey: try X25519.PublicKey(rawRepresentation: InteropJSON.hex(x3dh["spk"])),
            oneTimePrekey: try (x3dh["opk"] as? String).map {
                try X25519.PublicKey(rawRepresentation: InteropJSON.hex($0))
            }
        )
        #expect(header.oneTimePrekey != nil)
        let (agreement, signedPrekey) = try X3DH.respond(
            identity: swift.identity,
            prekeys: swift.prekeys,
            header: header
        )
        #expect(try InteropJSON.hex(started["secret"]) == agreement.sharedSecret.copyBytes())
        #expect(try InteropJSON.hex(started["ad"]) == agreement.associatedData)
        var ratchet = DoubleRatchet.responder(
            sharedSecret: agreement.sharedSecret,
            associatedData: agreement.associatedData,
            ratchetKey: signedPrekey,
            headerEncryption: false
        )
        let first = try InteropJSON.message(from: started["message"])
        #expect(try ratchet.decrypt(first, random: &random) == bytes("hello from python"))
        try converse(&ratchet, with: peer, random: &random)
    }

    /// Rounds in which each side sends a batch that the other receives shuffled, with one message per batch held
    /// back and delivered a round later (after a DH ratchet step), plus one tampered message each way.
    func converse(_ ratchet: inout DoubleRatchet, with peer: PythonPeer, random: inout SeededRandom) throws {
        var heldForPython: [(RatchetMessage, [UInt8])] = []
        var heldForSwift: [(RatchetMessage, [UInt8])] = []
        for round in 0..<8 {
            // Swift → Python.
            let texts = (0..<Int.random(in: 1...5, using: &random)).map {
                bytes("swift \(round).\($0) ") + random.bytes(count: $0 * 7)
            }
            var batch = try texts.map { (try ratchet.encrypt($0, random: &random), $0) }.shuffled(using: &random)
            let late = batch.count > 1 ? [batch.removeLast()] : []
            batch += heldForPython
            heldForPython = late
            let opened = try peer.call(["op": "decrypt", "messages": try batch.map { try InteropJSON.message($0.0) }])
            let plaintexts = try (opened["plaintexts"] as? [String] ?? []).map { try InteropJSON.hex($0) }
            #expect(plaintexts == batch.map(\.1), "round \(round): Python read something else")

            // Python → Swift.
            let pythonTexts = (0..<Int.random(in: 1...5, using: &random)).map { bytes("python \(round).\($0)") }
            let sealed = try peer.call(["op": "encrypt", "plaintexts": pythonTexts.map { Hex.encode($0) }])
            var incoming = try zip(sealed["messages"] as? [Any] ?? [], pythonTexts).map {
                (try InteropJSON.message(from: $0.0), $0.1)
            }.shuffled(using: &random)
            #expect(incoming.count == pythonTexts.count)
            let lateForSwift = incoming.count > 1 ? [incoming.removeLast()] : []
            incoming += heldForSwift
            heldForSwift = lateForSwift
            for (message, expected) in incoming {
                #expect(
                    try ratchet.decrypt(message, random: &random) == expected,
                    "round \(round): Swift read something else"
                )
            }
            if round == 3, let (message, _) = incoming.first {
                // A flipped bit from Python's side is refused and changes nothing; a replay is refused too.
                var flipped = message.ciphertext
                flipped[flipped.count / 2] ^= 0x10
                let before = Hex.encode(SHA256.hash(ratchet.encodedState()))
                #expect(throws: RatchetError.self) {
                    _ = try ratchet.decrypt(
                        RatchetMessage(header: message.header, ciphertext: flipped),
                        random: &random
                    )
                }
                #expect(throws: RatchetError.self) { _ = try ratchet.decrypt(message, random: &random) }
                #expect(Hex.encode(SHA256.hash(ratchet.encodedState())) == before)
                // And Python refuses a tampered Swift message.
                let probe = try ratchet.encrypt(bytes("probe"), random: &random)
                var bad = probe.ciphertext
                bad[0] ^= 1
                #expect(throws: PythonPeer.Failure.self) {
                    _ = try peer.call([
                        "op": "decrypt",
                        "messages": [try InteropJSON.message(RatchetMessage(header: probe.header, ciphertext: bad))],
                    ])
                }
                heldForPython.append((probe, bytes("probe")))
            }
        }
        let rest = try peer.call(["op": "decrypt", "messages": try heldForPython.map { try InteropJSON.message($0.0) }])
        #expect(try (rest["plaintexts"] as? [String] ?? []).map { try InteropJSON.hex($0) } == heldForPython.map(\.1))
        for (message, expected) in heldForSwift {
            #expect(try ratchet.decrypt(message, random: &random) == expected)
        }
    }
}
