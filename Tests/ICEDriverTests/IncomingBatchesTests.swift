import ICE
import MeshCore
import Testing

@testable import ICEDriver

@Suite("Incoming datagrams in read-burst batches, bounded in datagrams")
struct IncomingBatchesTests {
    let from = TransportAddress(ip: IPAddress("192.0.2.1")!, port: 9)

    func datagram(_ index: Int) -> IncomingDatagram {
        IncomingDatagram(bytes: [UInt8(index)], from: from)
    }

    @Test("a burst arrives as one batch; past the limit the newest are dropped and counted until the consumer reads")
    func boundedInDatagrams() async {
        let (stream, sink) = AsyncStream.makeStream(of: [IncomingDatagram].self)
        let queued = LockedValue(0)
        var batcher = IncomingBatcher(sink: sink, queued: queued, limit: 5)
        let batches = IncomingBatches(stream: stream, queued: queued)
        var iterator = batches.makeAsyncIterator()

        for index in 0..<3 { batcher.append(datagram(index)) }
        batcher.flush()
        for index in 3..<7 { batcher.append(datagram(index)) }
        batcher.flush()
        // 3 + 2 fit the limit of 5; datagrams 5 and 6 were dropped.
        #expect(batcher.dropped == 2)
        #expect(queued.withLock { $0 } == 5)
        #expect(await iterator.next()?.map(\.bytes) == [[0], [1], [2]])
        #expect(await iterator.next()?.map(\.bytes) == [[3], [4]])
        // Read: room again.
        #expect(queued.withLock { $0 } == 0)
        batcher.append(datagram(7))
        batcher.flush()
        #expect(await iterator.next()?.map(\.bytes) == [[7]])
        #expect(batcher.dropped == 2)
    }

    @Test("a long burst is handed over in batches of at most 64 before read-complete")
    func longBurstsAreSplit() async {
        let (stream, sink) = AsyncStream.makeStream(of: [IncomingDatagram].self)
        let queued = LockedValue(0)
        var batcher = IncomingBatcher(sink: sink, queued: queued, limit: 4_096)
        var iterator = IncomingBatches(stream: stream, queued: queued).makeAsyncIterator()
        for index in 0..<100 { batcher.append(datagram(index)) }
        #expect(await iterator.next()?.count == IncomingBatcher.maximumBatch)
        batcher.flush()
        #expect(await iterator.next()?.count == 100 - IncomingBatcher.maximumBatch)
    }
}
