import FuzzSupport
import Kademlia
import MeshCore
import MeshPeer
import Ratchet

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
    } else if selector % 4 == 1 {
        if let record = try? AgentRecord(wireBytes: body) { _ = try? AgentProfile.read(from: record) }
    } else {
        // A genuine record (its card signed, its bundle signed) with one field replaced by the input, so the reader
        // gets past the checks before it; the record's own signature is the DHT validator's job, not read's.
        var record = GenuineRecord.record
        switch (selector >> 2) % 5 {
        case 0: record.agentCard = body
        case 1: record.prekeyBundle = body
        case 2: record.extensions[0].value = body
        case 3: record.extensions.append(RecordExtension(type: RecordExtension.ownerCredentials, value: body))
        default: record.homeRelays = body.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        _ = try? AgentProfile.read(from: record)
    }
    return 0
}

/// One genuine agent record, made once (signing per input would dominate the run).
enum GenuineRecord {
    static let record: AgentRecord = {
        var random = SeededRandom(seed: 5)
        let identity = AgentIdentity.generate(using: &random)
        let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
        let prekeys = PrekeySecrets(identity: identity, now: now, random: &random)
        let card = try! CardFile.parse(
            Array(
                """
                {"name":"A","description":"d","version":"1","capabilities":{},
                "supportedInterfaces":[{"url":"https://a.example/a2a","protocolBinding":"JSONRPC","protocolVersion":"0.3"}],
                "defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],
                "skills":[{"id":"s","name":"S","description":"x","tags":["t"]}]}
                """.utf8
            )
        )
        let profile = AgentProfile(
            card: card,
            knockToken: [1, 2, 3, 4, 5, 6, 7, 8],
            knockDifficulty: 4,
            homeRelays: ["wss://relay.example:443"],
            prekeyBundle: AgentProfile.recordBundle(from: prekeys, identity: identity)
        )
        let record = try! profile.record(signedBy: identity, sequence: 1, issuedAt: now, ttl: .seconds(600))
        // The reader must accept the record as made, or the harness fuzzes only refusals.
        precondition((try? AgentProfile.read(from: record)) != nil, "the genuine record does not read back")
        return record
    }()
}
