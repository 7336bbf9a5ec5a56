import FuzzSupport
import MeshCore
import MeshPeer

/// The audit log's decoders and checks (decision 0085): a stored checkpoint never traps and re-encodes to the same
/// bytes; checking its signature never traps; an entry read back from the database with arbitrary fields (as
/// anyone with the file could write them) is checked and verified without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    switch selector % 2 {
    case 0:
        if let checkpoint = try? AuditCheckpoint(decoding: body) {
            fuzzCheck(checkpoint.encoded() == body, "audit checkpoint does not round-trip")
            _ = checkpoint.isValid(for: FuzzAudit.node)
            _ = AuditVerifier(node: FuzzAudit.node).verify([], checkpoint: checkpoint)
        }
    default:
        // Fields cut from the input at lengths it names: an entry as a tampered row could hold it.
        var reader = body[...]
        func take(_ count: Int) -> [UInt8] {
            let part = Array(reader.prefix(count))
            reader = reader.dropFirst(count)
            return part
        }
        let lengths = take(4).map { Int($0) }
        guard lengths.count == 4 else { return 0 }
        let record = AuditEntry.Record(
            kind: AuditEntry.Kind(String(decoding: take(lengths[0]), as: UTF8.self)),
            peer: String(decoding: take(lengths[1]), as: UTF8.self),
            intent: lengths[2] % 2 == 0 ? nil : String(decoding: take(lengths[2]), as: UTF8.self),
            size: lengths[3] % 3 == 0 ? nil : lengths[3] - 128,
            path: "relay",
            detail: ["k": String(decoding: take(lengths[3]), as: UTF8.self)]
        )
        let rest = Array(reader)
        let entry = AuditEntry(
            sequence: UInt64(lengths[0]),
            at: Timestamp(secondsSinceEpoch: Int64(lengths[1])),
            record: record,
            previousHash: Array(rest.prefix(32)),
            hash: Array(rest.dropFirst(32).prefix(32))
        )
        _ = AuditChain.isSelfConsistent(entry)
        let clamped = AuditLimits.clamp(record)
        fuzzCheck(AuditLimits.fits(clamped), "a clamped record does not fit its limits")
        _ = AuditVerifier(node: FuzzAudit.node).verify([entry, entry], checkpoint: nil)
    }
    return 0
}

enum FuzzAudit {
    /// A fixed, valid public key (the base point's encoding is not needed: any seeded identity will do).
    static let node: Ed25519.PublicKey = {
        var random = SeededRandom(seed: 85)
        return AgentIdentity.generate(using: &random).publicKey
    }()
}
