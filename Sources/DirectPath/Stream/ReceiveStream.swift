import MeshCore

/// The incoming byte stream: reassembles chunks by offset, then cuts the stream into messages.
///
/// It never holds more than `window` bytes beyond what it has delivered: chunks past the advertised limit are
/// dropped (and counted), and overlapping retransmissions are trimmed to the gaps they fill, so a peer cannot make
/// us buffer more than the window however it slices its data.
struct ReceiveStream: Sendable {
    enum Failure: Error, Equatable {
        /// A length prefix above the message limit: the peer is broken or hostile.
        case messageTooLarge(Int)
    }

    let window: Int
    let maximumMessage: Int
    /// Everything below this offset has been reassembled.
    private(set) var contiguousOffset: UInt64 = 0
    private var received = RangeSet()
    private var pending: [UInt64: [UInt8]] = [:]
    private var pendingBytes = 0
    /// Reassembled bytes not yet cut into a complete message.
    private var assembled: [UInt8] = []
    private var assembledHead = 0
    private(set) var droppedBeyondWindow = 0

    init(window: Int, maximumMessage: Int) {
        precondition(window >= maximumMessage + 4, "the window must hold one whole message")
        self.window = window
        self.maximumMessage = maximumMessage
    }

    /// The flow-control limit to advertise: the peer may send up to here.
    var limit: UInt64 { contiguousOffset - UInt64(assembled.count - assembledHead) + UInt64(window) }

    var bufferedBytes: Int { pendingBytes + assembled.count - assembledHead }

    /// Takes a chunk. Messages are cut only when the application asks (`nextMessage`), so bytes it has not taken
    /// still count against the window and a slow reader slows the sender instead of growing a queue.
    mutating func receive(offset: UInt64, data: [UInt8]) throws {
        try receive(offset: offset, data: data[...])
    }

    /// `data` may be a slice of a larger buffer (the decrypted packet): positions in it are relative to its start.
    mutating func receive(offset: UInt64, data: ArraySlice<UInt8>) throws {
        let base = data.startIndex
        let end = offset + UInt64(data.count)
        let usableEnd = min(end, limit)
        if usableEnd < end { droppedBeyondWindow += Int(end - usableEnd) }
        let usableStart = max(offset, contiguousOffset)
        // Entirely old (a retransmission of delivered bytes) or entirely beyond the window: nothing to keep.
        guard usableEnd > usableStart else { return }
        if pending.isEmpty && offset <= contiguousOffset {
            // The common case, in order with nothing held: straight onto the assembled bytes, no bookkeeping.
            assembled.append(contentsOf: data[base + Int(usableStart - offset)..<base + Int(usableEnd - offset)])
            contiguousOffset = usableEnd
            _ = try headLength()
            return
        }
        for gap in received.gaps(in: usableStart..<usableEnd) {
            let slice = Array(data[base + Int(gap.lowerBound - offset)..<base + Int(gap.upperBound - offset)])
            pending[gap.lowerBound] = slice
            pendingBytes += slice.count
            received.insert(gap)
        }
        while let chunk = pending.removeValue(forKey: contiguousOffset) {
            pendingBytes -= chunk.count
            assembled.append(contentsOf: chunk)
            contiguousOffset += UInt64(chunk.count)
        }
        received.removeAll(below: contiguousOffset)
        _ = try headLength()
    }

    /// The next complete message, in order, or nil while it is still arriving.
    mutating func nextMessage() throws -> [UInt8]? {
        guard let length = try headLength(), assembled.count - assembledHead - 4 >= length else { return nil }
        let start = assembledHead + 4
        let message = Array(assembled[start..<(start + length)])
        assembledHead += 4 + length
        if assembledHead > 65_536 || assembledHead == assembled.count {
            assembled.removeFirst(assembledHead)
            assembledHead = 0
        }
        _ = try headLength()
        return message
    }

    /// The length prefix of the next message once its four bytes are here; over the limit is a protocol error,
    /// reported as soon as the prefix arrives.
    private func headLength() throws -> Int? {
        guard assembled.count - assembledHead >= 4 else { return nil }
        let h = assembledHead
        let length =
            Int(assembled[h]) << 24 | Int(assembled[h + 1]) << 16 | Int(assembled[h + 2]) << 8
            | Int(assembled[h + 3])
        guard length <= maximumMessage else { throw Failure.messageTooLarge(length) }
        return length
    }
}
