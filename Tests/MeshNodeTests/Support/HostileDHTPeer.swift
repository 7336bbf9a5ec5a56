import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix

/// One hostile DHT peer that the test drives: its own Ed25519 key, its own UDP socket on 127.0.0.1, and the
/// Kademlia core's own codec (`SignedMessage`), so every datagram it sends is well formed and correctly signed by
/// the key its node ID hashes. Only its answers lie:
/// - `FIND_NODE`, `FIND_VALUE` and `GET_PROVIDERS` are answered with its colluders alone (an eclipse attempt), and a
///   value or provider request for a key it has forgeries for gets one of them, in turn;
/// - `STORE` and `ADD_PROVIDER` are answered "stored" and kept only as evidence (a storer that throws records away),
///   which is how the test captures the victim's genuine records to replay later;
/// - `PING` is answered truthfully, so honest nodes verify it and put it in their tables like any other peer.
///
/// It can also ask: `request(_:to:)` sends a signed request and waits (bounded) for the signed reply.
final class HostileDHTPeer: Sendable {
    let key: Ed25519.PrivateKey
    let id: NodeID
    let address: TransportAddress
    private let channel: any Channel
    private let state: LockedValue<State>

    struct State: Sendable {
        var colluders: [Contact] = []
        /// Forged agent records (envelopes, or raw envelope bytes for ones the codec would not carry) per key.
        var values: [NodeID: [Forgery]] = [:]
        var providers: [NodeID: [RecordEnvelope]] = [:]
        var turn = 0
        /// Records honest nodes pushed at us (a publisher's STORE and ADD_PROVIDER), oldest first; bounded.
        var captured: [RecordEnvelope] = []
        var requests: [KademliaMessage.Kind: Int] = [:]
        /// Requests for a key we hold forgeries for, by asker's node ID.
        var valueRequestsBy: [NodeID: Int] = [:]
        var pingedBy: Set<TransportAddress> = []
        var waiting: [UInt64: CheckedContinuation<SignedMessage?, Never>] = [:]
    }

    /// A record served in a value reply: a record envelope, or bytes the codec refuses to carry (an oversize one).
    enum Forgery: Sendable {
        case envelope(RecordEnvelope)
        case oversize(type: RecordType, bytes: [UInt8])
    }

    static let maximumCaptured = 64

    private init(key: Ed25519.PrivateKey, channel: any Channel, address: TransportAddress, state: LockedValue<State>) {
        self.key = key
        self.id = NodeID(publicKey: key.publicKey)
        self.channel = channel
        self.address = address
        self.state = state
    }

    /// Binds 127.0.0.1:0 and starts answering.
    static func start(key: Ed25519.PrivateKey, group: any EventLoopGroup) async throws -> HostileDHTPeer {
        let state = LockedValue(State())
        let box = LockedValue<HostileDHTPeer?>(nil)
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Handler { bytes, source in box.withLock { $0 }?.received(bytes, from: source) }
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let local = channel.localAddress, let address = TransportAddress(local) else {
            try? await channel.close()
            throw TestFailure("a hostile DHT peer's socket has no address")
        }
        let peer = HostileDHTPeer(key: key, channel: channel, address: address, state: state)
        box.withLock { $0 = peer }
        return peer
    }

    func close() async {
        try? await channel.close()
        let waiting = state.withLock { state in
            defer { state.waiting = [:] }
            return state.waiting
        }
        for continuation in waiting.values { continuation.resume(returning: nil) }
    }

    var contact: Contact { Contact(id: id, address: address) }

    func setColluders(_ contacts: [Contact]) {
        state.withLock { $0.colluders = contacts.filter { $0.id != id } }
    }

    func serve(_ forgeries: [Forgery], under key: NodeID) { state.withLock { $0.values[key] = forgeries } }

    func serveProviders(_ records: [RecordEnvelope], under key: NodeID) {
        state.withLock { $0.providers[key] = records }
    }

    var captured: [RecordEnvelope] { state.withLock { $0.captured } }
    var requests: [KademliaMessage.Kind: Int] { state.withLock { $0.requests } }
    var valueRequestsBy: [NodeID: Int] { state.withLock { $0.valueRequestsBy } }
    var pingedBy: Set<TransportAddress> { state.withLock { $0.pingedBy } }

    /// Sends `message` to `destination` and waits (at most `timeout`) for the signed reply with its transaction ID.
    func request(
        _ message: KademliaMessage,
        to destination: TransportAddress,
        timeout: Duration = .seconds(2)
    ) async -> SignedMessage? {
        let transaction = UInt64.random(in: 1...UInt64.max)
        let timer = Task { [state] in
            try? await Task.sleep(for: timeout)
            state.withLock { $0.waiting.removeValue(forKey: transaction) }?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            state.withLock { $0.waiting[transaction] = continuation }
            send(message, transaction: transaction, to: destination)
        }
    }

    /// Sends one signed datagram without waiting for anything.
    func send(_ message: KademliaMessage, transaction: UInt64, to destination: TransportAddress) {
        let signed = SignedMessage.signed(message, transactionID: transaction, by: key, now: SystemClock().now())
        write(signed.datagram(), to: destination)
    }

    /// Sends bytes as they are (a datagram the codec would not build).
    func write(_ bytes: [UInt8], to destination: TransportAddress) {
        let envelope = AddressedEnvelope(
            remoteAddress: destination.socketAddress,
            data: channel.allocator.buffer(bytes: bytes)
        )
        channel.writeAndFlush(envelope, promise: nil)
    }

    private func received(_ bytes: [UInt8], from source: TransportAddress) {
        guard let message = try? SignedMessage.decode(datagram: bytes, maximumSize: 4_096),
            message.isSignatureValid
        else { return }
        if !message.message.isRequest {
            state.withLock { $0.waiting.removeValue(forKey: message.transactionID) }?.resume(returning: message)
            return
        }
        let token = Array(id.bytes.prefix(8))
        let asker = message.senderID
        let reply: Reply = state.withLock { state in
            state.requests[message.message.kind, default: 0] += 1
            let colluders = Array(state.colluders.prefix(KademliaMessage.maximumContacts))
            switch message.message {
            case .ping:
                state.pingedBy.insert(source)
                return .message(.pong(observed: source))
            case .findNode:
                return .message(.nodes(contacts: colluders, token: token))
            case .findValue(let key):
                guard let forgeries = state.values[key], !forgeries.isEmpty else {
                    return .message(.value(record: nil, contacts: colluders, token: token))
                }
                state.valueRequestsBy[asker, default: 0] += 1
                state.turn += 1
                switch forgeries[state.turn % forgeries.count] {
                case .envelope(let envelope):
                    return .message(.value(record: envelope, contacts: colluders, token: token))
                case .oversize(let type, let bytes):
                    return .raw(Self.oversizeValue(type: type, bytes: bytes, contacts: colluders, token: token))
                }
            case .getProviders(let key):
                let records = state.providers[key] ?? []
                return .message(.providers(records: records, contacts: colluders, token: token))
            case .store(_, let record), .addProvider(_, let record):
                if state.captured.count < Self.maximumCaptured { state.captured.append(record) }
                return .message(.stored(accepted: true, code: "ok"))
            default:
                return .none
            }
        }
        switch reply {
        case .message(let answer): send(answer, transaction: message.transactionID, to: source)
        case .raw(let body):
            write(Self.datagram(body: body, transaction: message.transactionID, key: key), to: source)
        case .none: break
        }
    }

    private enum Reply {
        case message(KademliaMessage)
        case raw([UInt8])
        case none
    }

    /// A `value` reply's body with a record envelope longer than `RecordEnvelope.maximumByteCount`, written by hand
    /// in the codec's layout (the decoder must refuse it).
    static func oversizeValue(type: RecordType, bytes: [UInt8], contacts: [Contact], token: [UInt8]) -> [UInt8] {
        var writer = WireWriter(capacity: bytes.count + 256)
        writer.write(KademliaMessage.Kind.value.rawValue)
        writer.write(UInt8(1))
        writer.write(type.rawValue)
        writer.writeLengthPrefixed(bytes, .uint16)
        writer.writeCount(contacts.count, .uint8)
        for contact in contacts { contact.encode(to: &writer) }
        writer.writeLengthPrefixed(token, .uint8)
        return writer.bytes
    }

    /// A `store` request's body carrying an oversize envelope.
    static func oversizeStore(type: RecordType, bytes: [UInt8], token: [UInt8]) -> [UInt8] {
        var writer = WireWriter(capacity: bytes.count + 64)
        writer.write(KademliaMessage.Kind.store.rawValue)
        writer.writeLengthPrefixed(token, .uint8)
        writer.write(type.rawValue)
        writer.writeLengthPrefixed(bytes, .uint16)
        return writer.bytes
    }

    /// A signed DHT datagram around a message body written by hand (same layout as `SignedMessage.datagram()`).
    static func datagram(body: [UInt8], transaction: UInt64, key: Ed25519.PrivateKey, flags: UInt8 = 0) -> [UInt8] {
        var writer = WireWriter(capacity: body.count + 128)
        writer.write(raw: key.publicKey.rawRepresentation)
        writer.write(SystemClock().now().millisecondsSinceEpoch)
        writer.write(transaction)
        writer.write(flags)
        writer.write(raw: body)
        var payload = writer.bytes
        payload.append(contentsOf: key.signature(for: payload, domain: .dhtMessage).rawRepresentation)
        return Frame(type: SignedMessage.frameType, payload: payload).encoded()
    }

    /// Translates datagrams for the peer (design rule 2: the handler only translates).
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let onDatagram: @Sendable ([UInt8], TransportAddress) -> Void

        init(_ onDatagram: @escaping @Sendable ([UInt8], TransportAddress) -> Void) { self.onDatagram = onDatagram }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let source = TransportAddress(envelope.remoteAddress) else { return }
            onDatagram(Array(envelope.data.readableBytesView), source)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}

extension HostileDHTPeer {
    /// A key whose node ID shares at least `bits` leading bits with `target`: a Sybil placed next to it. Bounded
    /// (about 2^bits tries are expected; 64 times that is the limit).
    static func ground(near target: NodeID, bits: Int) throws -> Ed25519.PrivateKey {
        for _ in 0..<(64 << bits) {
            let key = Ed25519.PrivateKey()
            if NodeID(publicKey: key.publicKey).commonPrefixLength(with: target) >= bits { return key }
        }
        throw TestFailure("no key within \(bits) bits of \(target) after \(64 << bits) tries")
    }
}
