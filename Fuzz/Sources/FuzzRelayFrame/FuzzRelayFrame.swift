import FuzzSupport
import MeshCore
import RelayFallback

/// Relay frame and advert decoding never trap; a decoded message re-encodes to the same bytes; and the hub
/// survives any bytes from an unauthenticated connection without holding anything.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let message = try? RelayMessage.decode(bytes) {
        fuzzCheck(message.encoded() == bytes, "relay frame does not round-trip")
        if case .send(let envelope) = message {
            fuzzCheck(envelope.payload.count <= RelayFallbackModule.maximumEnvelopeByteCount, "oversize envelope")
        }
    }
    if let advert = try? RelayAdvert.decode(bytes) {
        fuzzCheck(advert.encoded() == bytes, "relay advert does not round-trip")
    }
    var hub = FuzzState.hub
    let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
    _ = hub.connect(ConnectionID(1), source: "fuzz", now: now)
    _ = hub.receive(ConnectionID(1), bytes: bytes, now: now)
    fuzzCheck(hub.heldCount == 0, "an unauthenticated connection got something stored")
    return 0
}

enum FuzzState {
    static let hub: RelayHub<SeededRandom> = {
        var random = SeededRandom(seed: 1)
        let relay = AgentIdentity.generate(using: &random)
        return RelayHub(relayKey: relay.publicKey, limits: RelayLimits(), random: random, now: .zero)
    }()
}
