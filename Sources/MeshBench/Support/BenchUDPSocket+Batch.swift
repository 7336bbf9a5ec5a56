#if canImport(Glibc)
import Glibc
#endif

/// sendmmsg(2) and recvmmsg(2): several datagrams per system call, as SwiftNIO's DatagramChannel does for the
/// product (a flushed batch of writes becomes one sendmmsg; `datagramVectorReadMessageCount` reads with recvmmsg).
///
/// Glibc's Swift module hides both calls and `struct mmsghdr` behind `_GNU_SOURCE`, so the functions are looked up
/// once at run time and `MultiMessage` mirrors the C struct (checked against its 64-byte size on first use).
extension BenchUDPSocket {
    /// The most datagrams one call moves; larger batches are split.
    static let batchLimit = 64
    /// Receive slot size: loopback datagrams here are at most the channel's probe size (1452) or the baseline's.
    static let slotSize = 2_048

    /// Sends every datagram to `port`, `batchLimit` per call. Returns how many the kernel took; the rest found the
    /// socket buffer full and are dropped, as `send(_:toPort:)` drops one.
    @discardableResult
    func send(batch: [[UInt8]], toPort port: UInt16) -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: BenchUDPSocket.batchLimit)
        let messages = UnsafeMutableBufferPointer<MultiMessage>.allocate(capacity: BenchUDPSocket.batchLimit)
        defer {
            vectors.deallocate()
            messages.deallocate()
        }
        var sent = 0
        var start = 0
        while start < batch.count {
            let end = min(start + BenchUDPSocket.batchLimit, batch.count)
            let taken = withUnsafeMutablePointer(to: &address) { addressPointer in
                BenchUDPSocket.pinning(batch, from: start, to: end, into: vectors, first: start) {
                    for index in 0..<(end - start) {
                        var message = MultiMessage()
                        message.header.msg_name = UnsafeMutableRawPointer(addressPointer)
                        message.header.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                        message.header.msg_iov = vectors.baseAddress! + index
                        message.header.msg_iovlen = 1
                        (messages.baseAddress! + index).initialize(to: message)
                    }
                    return Int(
                        MultiMessageCalls.shared.send(
                            descriptor,
                            UnsafeMutableRawPointer(messages.baseAddress),
                            UInt32(end - start),
                            0
                        )
                    )
                }
            }
            guard taken > 0 else { break }
            sent += taken
            // A short count means the buffer filled: the rest of this chunk is dropped, like a failed sendto.
            start = end
        }
        return sent
    }

    /// Points `vectors` at `batch[index..<end]` and runs `body` while all of them stay pinned (nested
    /// `withUnsafeBytes`, so no datagram is copied into a staging buffer).
    private static func pinning(
        _ batch: [[UInt8]],
        from index: Int,
        to end: Int,
        into vectors: UnsafeMutableBufferPointer<iovec>,
        first: Int,
        _ body: () -> Int
    ) -> Int {
        guard index < end else { return body() }
        return batch[index].withUnsafeBytes { bytes in
            vectors[index - first] = iovec(
                iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                iov_len: bytes.count
            )
            return pinning(batch, from: index + 1, to: end, into: vectors, first: first, body)
        }
    }

    /// Up to `batchLimit` waiting datagrams in one call, each copied out as its own array (as the single-datagram
    /// `receive` does) and handed over, so the consumer owns it alone; returns the count, 0 when none is waiting.
    @discardableResult
    func receiveBatch(into slots: ReceiveSlots, _ each: (consuming [UInt8]) -> Void) -> Int {
        for index in 0..<BenchUDPSocket.batchLimit {
            var message = MultiMessage()
            message.header.msg_iov = slots.vectors.baseAddress! + index
            message.header.msg_iovlen = 1
            slots.messages[index] = message
        }
        let count = Int(
            MultiMessageCalls.shared.receive(
                descriptor,
                UnsafeMutableRawPointer(slots.messages.baseAddress),
                UInt32(BenchUDPSocket.batchLimit),
                Int32(MSG_DONTWAIT),
                nil
            )
        )
        guard count > 0 else { return 0 }
        for index in 0..<count {
            let length = Int(slots.messages[index].length)
            each(Array(UnsafeRawBufferPointer(start: slots.vectors[index].iov_base, count: length)))
        }
        return count
    }
}

/// The receive buffers of `receiveBatch`: `batchLimit` slots of `slotSize` bytes, allocated once per socket loop.
final class ReceiveSlots {
    let storage = UnsafeMutableRawBufferPointer.allocate(
        byteCount: BenchUDPSocket.batchLimit * BenchUDPSocket.slotSize,
        alignment: 16
    )
    let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: BenchUDPSocket.batchLimit)
    let messages = UnsafeMutableBufferPointer<MultiMessage>.allocate(capacity: BenchUDPSocket.batchLimit)

    init() {
        for index in 0..<BenchUDPSocket.batchLimit {
            vectors[index] = iovec(
                iov_base: storage.baseAddress! + index * BenchUDPSocket.slotSize,
                iov_len: BenchUDPSocket.slotSize
            )
        }
        messages.initialize(repeating: MultiMessage())
    }

    deinit {
        storage.deallocate()
        vectors.deallocate()
        messages.deallocate()
    }
}

/// `struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }` (Swift pads its stride to the C size).
struct MultiMessage {
    var header = msghdr()
    var length: UInt32 = 0
}

/// The two libc entry points, resolved once with dlsym.
private struct MultiMessageCalls: Sendable {
    typealias Send = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32
    typealias Receive =
        @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) ->
        Int32

    let send: Send
    let receive: Receive

    static let shared: MultiMessageCalls = {
        precondition(MemoryLayout<MultiMessage>.stride == 64, "struct mmsghdr is 64 bytes on 64-bit Linux")
        guard let sendSymbol = dlsym(nil, "sendmmsg"), let receiveSymbol = dlsym(nil, "recvmmsg") else {
            fatalError("libc has no sendmmsg/recvmmsg")
        }
        return MultiMessageCalls(
            send: unsafeBitCast(sendSymbol, to: Send.self),
            receive: unsafeBitCast(receiveSymbol, to: Receive.self)
        )
    }()
}
