import FuzzSupport
import Kademlia
import MeshCore
import MeshPeer

/// The private-exposure decoders (decisions 0082 and 0083): invite text, the sealed record and its validator, the
/// sealed plaintext's framing and the exposure a record declares never trap on any input, and what decodes
/// re-encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
    switch selector % 4 {
    case 0:
        if let invite = try? Invite.parse(String(decoding: body, as: UTF8.self)) {
            let again = try? Invite.parse(invite.text)
            fuzzCheck(again?.text == invite.text, "invite does not round-trip")
            _ = InviteSlot(invite).id
        }
    case 1:
        if let record = try? SealedRecord(wireBytes: body) {
            fuzzCheck(record.wireBytes == body, "sealed record does not round-trip")
        }
        _ = try? SealedRecordValidator().validate(RecordEnvelope(type: .sealed, bytes: body), now: now, limits: limits)
    case 2:
        if let inner = try? SealedAgentRecord.recordBytes(fromPlaintext: body) {
            fuzzCheck(inner.count <= SealedAgentRecord.maximumRecordBytes, "inner record over its bound")
            if let record = try? AgentRecord(wireBytes: inner) { _ = Exposure.declared(by: record) }
        }
    default:
        // A sealed record found under a slot: opening must refuse, never trap, whatever the bytes.
        if let record = try? SealedRecord(wireBytes: body) {
            _ = try? SealedAgentRecord.open(record, slot: FuzzSlot.shared, did: FuzzSlot.did, now: now, limits: limits)
        }
    }
    return 0
}

/// One slot reused across inputs (deriving keys per input would dominate the run).
enum FuzzSlot {
    static let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    static let shared = InviteSlot(secret: SecureBytes([UInt8](repeating: 1, count: 16)), did: did)
}
