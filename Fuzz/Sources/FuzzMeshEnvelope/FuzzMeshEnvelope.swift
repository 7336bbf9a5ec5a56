import FuzzSupport
import MeshCore
import MeshPeer

/// Mesh envelope and session payload decoding never trap; a decoded value re-encodes to the same bytes; and the knock
/// gate refuses any bytes without trapping, admitting only a frame whose signature verifies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let envelope = try? MeshEnvelope.decode(bytes) {
        fuzzCheck(envelope.encoded() == bytes, "mesh envelope does not round-trip")
        fuzzCheck(bytes.count <= MeshEnvelope.maximumByteCount, "oversize mesh envelope")
    }
    if let payload = try? SessionPayload.decode(bytes) {
        fuzzCheck(payload.encoded() == bytes, "session payload does not round-trip")
        if case .receipt(let ids) = payload {
            fuzzCheck(ids.count <= SessionPayload.maximumReceiptIDs, "too many receipt IDs")
        }
    }
    var gate = FuzzState.gate
    let now = Timestamp(secondsSinceEpoch: 1_796_414_400)
    if case .success(let frame) = gate.admit(
        bytes,
        ours: FuzzState.ours,
        tokens: [FuzzState.token],
        difficulty: 0,
        now: now
    ) {
        fuzzCheck(frame.verifySignature(), "the gate admitted a knock whose signature does not verify")
    }
    return 0
}

enum FuzzState {
    static let gate = KnockGate(configuration: KnockGate.Configuration())
    static let ours: Ed25519.PublicKey = {
        var random = SeededRandom(seed: 2)
        return AgentIdentity.generate(using: &random).publicKey
    }()
    static let token = try! KnockToken(bytes: [1, 2, 3, 4, 5, 6, 7, 8])
}
