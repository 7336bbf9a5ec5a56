import MeshCore

/// Application datagrams as they came off the sockets: one batch per read burst (NIO's read-complete), so a
/// consumer handles a burst in one hop, and a direct channel answers it with one ACK instead of one per datagram.
///
/// Bounded in datagrams, not batches: at most `ICESession.incomingBufferLimit` wait for the consumer; beyond that
/// the newest are dropped (a full queue, as in a router) and counted.
public struct IncomingBatches: AsyncSequence, Sendable {
    public typealias Element = [IncomingDatagram]
    let stream: AsyncStream<[IncomingDatagram]>
    let queued: LockedValue<Int>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<[IncomingDatagram]>.AsyncIterator
        let queued: LockedValue<Int>

        public mutating func next() async -> [IncomingDatagram]? {
            guard let batch = await base.next() else { return nil }
            queued.withLock { $0 -= batch.count }
            return batch
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), queued: queued)
    }
}

/// The producing side, loop-confined in `SessionCore`: collects a read burst and hands it over at read-complete.
struct IncomingBatcher {
    /// A burst is handed over at this size even before read-complete, so one batch stays small next to the limit.
    static let maximumBatch = 64

    let sink: AsyncStream<[IncomingDatagram]>.Continuation
    let queued: LockedValue<Int>
    let limit: Int
    private var pending: [IncomingDatagram] = []
    private(set) var dropped = 0

    init(sink: AsyncStream<[IncomingDatagram]>.Continuation, queued: LockedValue<Int>, limit: Int) {
        self.sink = sink
        self.queued = queued
        self.limit = limit
    }

    mutating func append(_ datagram: IncomingDatagram) {
        pending.append(datagram)
        if pending.count >= IncomingBatcher.maximumBatch { flush() }
    }

    /// Hands over what the burst brought, as much as the limit has room for; the rest is dropped and counted.
    mutating func flush() {
        guard !pending.isEmpty else { return }
        let room = queued.withLock { count in
            let room = max(min(limit - count, pending.count), 0)
            count += room
            return room
        }
        dropped += pending.count - room
        if room > 0 {
            let batch = Array(pending.prefix(room))
            if case .dropped = sink.yield(batch) {
                dropped += batch.count
                queued.withLock { $0 -= batch.count }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    func finish() { sink.finish() }
}
