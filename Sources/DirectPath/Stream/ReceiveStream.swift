import MeshCore

/// The incoming byte stream: reassembles chunks by offset, then cuts the stream into messages.
///
/// It never holds more than `window` bytes beyond what it has delivered: chunks past the advertised limit are
/// dropped (and counted), and overlapping retransmissions are trimmed to the gaps they fill, so a peer cannot make
/// us buffer more than the window however it slices its data.
///
/// Nor more than `maximumPendingRanges` separate pieces: chunks that touch each other are merged into one entry as
/// they arrive, so an entry stands for a run of bytes between two holes, and a peer that sends a thousand 1-byte
/// chunks with gaps between them cannot make a thousand entries (before this cap it could make one per byte of the
/// window: millions of allocations). A chunk that would open yet another separate piece is refused whole
/// (`receive` returns false); the channel then leaves its packet unacknowledged, so an honest sender's loss
/// detection sends the data again, by which time the holes before it have usually filled (decision 0096).
struct ReceiveStream: Sendable {
    enum Failure: Error, Equatable {
        /// A length prefix above the message limit: the peer is broken or hostile.
        case messageTooLarge(Int)
    }

    let window: Int
    let maximumMessage: Int
    /// Separate out-of-order pieces held at most. 1,024: an honest sender has one hole per lost packet in flight,
    /// and a 4 MiB window holds about 3,000 packets, so it reaches the cap only when a third of a full window is
    /// lost at once; a hostile peer's worst case is 1,024 small allocations.
    let maximumPendingRanges: Int
    static let defaultMaximumPendingRanges = 1_024
    /// Everything below this offset has been reassembled.
    private(set) var contiguousOffset: UInt64 = 0
    /// The byte ranges held above `contiguousOffset`; each is one `pending` entry, keyed by its lower bound.
    private var received = RangeSet()
    private var pending: [UInt64: [UInt8]] = [:]
    private var pendingBytes = 0
    /// Reassembled bytes not yet cut into a complete message.
    private var assembled: [UInt8] = []
    private var assembledHead = 0
    private(set) var droppedBeyondWindow = 0
    /// Chunks refused because they would have opened more than `maximumPendingRanges` separate pieces.
    private(set) var refusedChunks = 0

    init(window: Int, maximumMessage: Int, maximumPendingRanges: Int = ReceiveStream.defaultMaximumPendingRanges) {
        precondition(window >= maximumMessage + 4, "the window must hold one whole message")
        precondition(maximumPendingRanges >= 1, "at least one piece may wait for a hole to fill")
        self.window = window
        self.maximumMessage = maximumMessage
        self.maximumPendingRanges = maximumPendingRanges
    }

    /// Separate out-of-order pieces held now (at most `maximumPendingRanges`).
    var pendingRanges: Int { pending.count }

    /// The flow-control limit to advertise: the peer may send up to here.
    var limit: UInt64 { contiguousOffset - UInt64(assembled.count - assembledHead) + UInt64(window) }

    var bufferedBytes: Int { pendingBytes + assembled.count - assembledHead }

    /// Takes a chunk. Messages are cut only when the application asks (`nextMessage`), so bytes it has not taken
    /// still count against the window and a slow reader slows the sender instead of growing a queue. Returns false
    /// when the chunk was refused whole because it would open one separate piece too many: the caller must not
    /// acknowledge the packet that carried it, so the sender retransmits.
    @discardableResult
    mutating func receive(offset: UInt64, data: [UInt8]) throws -> Bool {
        try receive(offset: offset, data: data[...])
    }

    /// `data` may be a slice of a larger buffer (the decrypted packet): positions in it are relative to its start.
    @discardableResult
    mutating func receive(offset: UInt64, data: ArraySlice<UInt8>) throws -> Bool {
        let base = data.startIndex
        let end = offset + UInt64(data.count)
        let usableEnd = min(end, limit)
        if usableEnd < end { droppedBeyondWindow += Int(end - usableEnd) }
        let usableStart = max(offset, contiguousOffset)
        // Entirely old (a retransmission of delivered bytes) or entirely beyond the window: nothing to keep.
        guard usableEnd > usableStart else { return true }
        func bytes(_ range: Range<UInt64>) -> ArraySlice<UInt8> {
            data[base + Int(range.lowerBound - offset)..<base + Int(range.upperBound - offset)]
        }
        if pending.isEmpty && usableStart == contiguousOffset {
            // The common case, in order with nothing held: straight onto the assembled bytes, no bookkeeping.
            assembled.append(contentsOf: bytes(usableStart..<usableEnd))
            contiguousOffset = usableEnd
            _ = try headLength()
            return true
        }
        let touched = received.touching(usableStart..<usableEnd)
        if usableStart == contiguousOffset {
            // The chunk fills the hole at the head: its bytes and every piece it reaches go straight on, one copy.
            var cursor = usableStart
            for range in touched {
                assembled.append(contentsOf: bytes(cursor..<range.lowerBound))
                let piece = pending.removeValue(forKey: range.lowerBound) ?? []
                pendingBytes -= piece.count
                assembled.append(contentsOf: piece)
                cursor = range.upperBound
            }
            if cursor < usableEnd {
                assembled.append(contentsOf: bytes(cursor..<usableEnd))
                cursor = usableEnd
            }
            contiguousOffset = cursor
            received.removeAll(below: contiguousOffset)
            _ = try headLength()
            return true
        }
        if touched.isEmpty && pending.count >= maximumPendingRanges {
            refusedChunks += 1
            return false
        }
        // Out of order: merge the chunk with every piece it overlaps or touches into one piece. In the usual case
        // (packets after a hole arriving in order) that appends to the piece just before it, without a copy of it.
        var merged: [UInt8]
        var cursor: UInt64
        var rest = touched[...]
        let start: UInt64
        if let first = touched.first, first.lowerBound <= usableStart {
            merged = pending.removeValue(forKey: first.lowerBound) ?? []
            start = first.lowerBound
            cursor = first.upperBound
            rest = rest.dropFirst()
        } else {
            merged = []
            start = usableStart
            cursor = usableStart
        }
        for range in rest {
            merged.append(contentsOf: bytes(cursor..<range.lowerBound))
            pendingBytes += Int(range.lowerBound - cursor)
            merged.append(contentsOf: pending.removeValue(forKey: range.lowerBound) ?? [])
            cursor = range.upperBound
        }
        if cursor < usableEnd {
            merged.append(contentsOf: bytes(cursor..<usableEnd))
            pendingBytes += Int(usableEnd - cursor)
        }
        pending[start] = merged
        received.insert(usableStart..<usableEnd)
        return true
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
