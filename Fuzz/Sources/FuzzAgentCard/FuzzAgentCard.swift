import FuzzSupport
import Kademlia
import MeshCore
import MeshPeer

/// The A2A agent card as MeshPeer reads it: from a card file or a record's compact card (`CardFile.parse`, the
/// strict field-by-field reader), and a whole agent record read back into a profile (`AgentProfile.read`: the card
/// signature, the knock policy, the prekey bundle and the owner credentials). None of them traps. A parsed card's
/// JSON parses back to the same card and the same bytes, and its compact form fits its budget and parses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    if selector % 2 == 0 {
        guard let card = try? CardFile.parse(body) else { return 0 }
        let json = card.jsonBytes()
        let again = try? CardFile.parse(json)
        fuzzCheck(again == card, "a card's JSON does not parse back to the same card")
        fuzzCheck(again?.jsonBytes() == json, "a card's JSON is not a fixed point")
        let budget = 256 + Int(selector) * 8
        if let compact = try? card.compact(budget: budget) {
            fuzzCheck(compact.count <= budget, "compact card of \(compact.count) bytes over its budget \(budget)")
            fuzzCheck((try? CardFile.parse(compact)) != nil, "the compact card does not parse")
        }
    } else if let record = try? AgentRecord(wireBytes: body) {
        _ = try? AgentProfile.read(from: record)
    }
    return 0
}
