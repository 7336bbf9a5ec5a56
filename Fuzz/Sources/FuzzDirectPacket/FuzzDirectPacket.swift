import DirectPath
import FuzzSupport
import MeshCore

/// One channel, keyed once; every input is offered as a datagram, and also decoded as a decrypted payload.
/// Nothing traps, nothing unauthenticated is accepted, and nothing reaches the application.
nonisolated(unsafe) private var channel: DirectChannel = {
    var random = SeededRandom(seed: 1)
    let a = AgentIdentity.generate(using: &random)
    let b = AgentIdentity.generate(using: &random)
    let keys = try! ChannelKeys(
        sessionSecret: random.secureBytes(count: 32),
        initiator: a.publicKey,
        responder: b.publicKey,
        context: []
    )
    return DirectChannel(keys: keys, isInitiator: false, localChannelID: 7, remoteChannelID: 8, now: .zero)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? DirectPacketCodec.frameCount(inPayload: bytes)
    _ = try? DirectPacketCodec.peekHeader(bytes)
    if case .accepted = channel.handleDatagram(bytes, now: .zero) {
        fuzzCheck(false, "an unauthenticated datagram was accepted")
    }
    fuzzCheck(channel.pollEvent() == nil, "garbage reached the application")
    return 0
}
