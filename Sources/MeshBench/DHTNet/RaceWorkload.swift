import Foundation
import MeshCore

/// What both networks are asked to do, drawn once from one seed so each side gets the same values, the same
/// publishing nodes and the same lookups (value i is published from node `publishers[i]` on both sides, lookup j
/// asks node `lookups[j].node` for value `lookups[j].value` on both sides).
///
/// A value is a small JSON object (`{"name":"race-value-7","value":"<48 hex>"}`). Theirs stores it as the string
/// under the key `race-value-7`; ours publishes it as the agent card of a record signed by a throwaway key made
/// from `seeds[i]`, found by that key's DID. A lookup succeeds when the exact bytes come back.
struct RaceWorkload: Sendable {
    struct Value: Sendable {
        var name: String
        var card: String
        var seed: [UInt8]
        var did: String
    }

    var values: [Value]
    var publishers: [Int]
    var lookups: [(node: Int, value: Int)]

    init(nodes: Int, values count: Int, lookups lookupCount: Int, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        values = try (0..<count).map { index in
            let name = "race-value-\(index)"
            let payload = Hex.encode(random.bytes(count: 24))
            let seed = random.bytes(count: Ed25519.seedByteCount)
            let did = try Ed25519.PrivateKey(seed: SecureBytes(seed)).publicKey.did
            return Value(name: name, card: "{\"name\":\"\(name)\",\"value\":\"\(payload)\"}", seed: seed, did: did)
        }
        publishers = (0..<count).map { _ in Int.random(in: 0..<nodes, using: &random) }
        lookups = (0..<lookupCount).map { _ in
            (Int.random(in: 0..<nodes, using: &random), Int.random(in: 0..<count, using: &random))
        }
    }

    /// The command that publishes value `index` on `side`.
    func put(_ index: Int, side: RaceNetwork.Side) -> [String: Any] {
        let value = values[index]
        switch side {
        case .ours: return ["op": "put", "seed": Hex.encode(value.seed), "card": value.card]
        case .theirs: return ["op": "set", "key": value.name, "value": value.card]
        }
    }

    func published(_ reply: [String: Any], side: RaceNetwork.Side) -> Bool {
        switch side {
        case .ours: return reply["event"] as? String == "published" && (reply["accepted"] as? Int ?? 0) > 0
        case .theirs: return reply["event"] as? String == "set" && reply["ok"] as? Bool == true
        }
    }

    func get(_ index: Int, side: RaceNetwork.Side) -> [String: Any] {
        switch side {
        case .ours: return ["op": "get", "did": values[index].did]
        case .theirs: return ["op": "get", "key": values[index].name]
        }
    }

    /// Found, and exactly the bytes that were published.
    func found(_ reply: [String: Any], value index: Int, side: RaceNetwork.Side) -> Bool {
        switch side {
        case .ours: return reply["found"] as? Bool == true && reply["agent_card"] as? String == values[index].card
        case .theirs: return reply["found"] as? Bool == true && reply["value"] as? String == values[index].card
        }
    }
}
