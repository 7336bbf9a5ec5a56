import FuzzSupport
import MeshCore
import MeshPeer

/// The card-signature reader never traps on any bytes: the strict JSON reader, RFC 8785 canonicalisation, the
/// JWS entry and header decoding, base64url. What it accepts canonicalises to a fixed point (reading the
/// canonical bytes back gives the same value and the same bytes), and base64url round-trips.
/// The seeds' signed card is by `seedDID` (Tests/MeshPeerTests/CardSignature, identity seed 1), so the fuzzer
/// starts from a card that verifies and mutates it.
let seedDID = "did:key:z6MkvJJ3CFAF9hiSc7sf2zoSrTKGUjcwiKnctQYbEQxA7NJ1"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? AgentCardSignature.verify(cardBytes: bytes, did: seedDID)
    if let value = try? StrictJSON.parse(bytes, maximumBytes: AgentCardSignature.maximumCardBytes) {
        if let canonical = try? JCS.canonicalize(value) {
            let again = try? StrictJSON.parse(canonical, maximumBytes: canonical.count)
            fuzzCheck(again == value, "canonical JSON does not read back as the same value")
            fuzzCheck((again.flatMap { try? JCS.canonicalize($0) }) == canonical, "JCS is not a fixed point")
        }
        // The one-pass payload writer (decision 0117) gives the two-pass reference's bytes, or fails as it does.
        let payload = try? CardPayload.canonicalBytes(of: value)
        if case .object(var members) = value {
            members["signatures"] = nil
            let reference = try? JCS.canonicalize(CardPayload.withoutDefaults(.object(members)))
            fuzzCheck(payload == reference, "the card payload differs from canonicalize(withoutDefaults(card))")
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = Base64URL.decode(text) {
        fuzzCheck(Base64URL.encode(decoded) == text, "base64url decoding is not canonical")
    }
    return 0
}
