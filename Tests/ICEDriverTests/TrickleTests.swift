import ICE
import ICEDriver
import MeshCore
import NIOCore
import NIOPosix
import Testing

/// Trickle ICE (RFC 8838) on real loopback sockets: `start(trickle: true)` returns before gathering ends, local
/// candidates come one by one on `localCandidates`, and remote ones go in one by one after a description with none.
@Suite("ICE driver: trickle on loopback sockets")
struct TrickleTests {
    let loopback = IPAddress("127.0.0.1")!
    let loopback2 = IPAddress("127.0.0.2")!

    /// Sends `from`'s candidates to `to` as they are gathered, then end-of-candidates; returns how many went.
    static func trickle(from: ICESession, to: ICESession) async throws -> Int {
        var sent = 0
        for await candidate in from.localCandidates {
            try await to.addRemoteCandidate(candidate)
            sent += 1
        }
        try await to.setRemoteEndOfCandidates()
        return sent
    }

    static func firstSelection(
        _ events: AsyncStream<ICEEvent>
    ) async -> (local: TransportAddress, remote: TransportAddress)? {
        for await event in events {
            switch event {
            case .selected(let local, let remote, _): return (local, remote)
            case .failed: return nil
            default: continue
            }
        }
        return nil
    }

    /// A STUN "server" that never answers: gathering then lasts until the probe gives up (2.5 s), so what `start`
    /// returned before that is known not to include it.
    static func silentServer(_ ip: IPAddress, group: EventLoopGroup) async throws -> UDPSocket {
        try await UDPSocket.bind(TransportAddress(ip: ip, port: 0), group: group, onDatagram: { _, _, _ in })
    }

    @Test(
        "descriptions with no candidates, then candidates trickled one by one: both sides select and exchange data",
        .timeLimit(.minutes(1))
    )
    func connectsWithTrickledCandidates() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let silent = try await Self.silentServer(loopback, group: group)
        let a = try await ICESession.start(
            role: .controlling,
            hostAddresses: [loopback, loopback2],
            stunServers: [silent.localAddress],
            trickle: true,
            group: group
        )
        let b = try await ICESession.start(
            role: .controlled,
            hostAddresses: [loopback, loopback2],
            stunServers: [silent.localAddress],
            trickle: true,
            group: group
        )
        // `start` returned with the host candidates in and gathering still under way.
        var offer = try await a.localDescription()
        var answer = try await b.localDescription()
        #expect(!offer.endOfCandidates && !answer.endOfCandidates)
        let offeredKinds: [Candidate.Kind] = offer.parsedCandidates.map(\.kind)
        #expect(offeredKinds == [.host, .host])
        offer.candidates = []
        answer.candidates = []
        try await b.setRemote(offer)
        try await a.setRemote(answer)
        async let sentA = Self.trickle(from: a, to: b)
        async let sentB = Self.trickle(from: b, to: a)
        let selectedA = await Self.firstSelection(a.events)
        let selectedB = await Self.firstSelection(b.events)
        let basesA = try await a.bases()
        let basesB = try await b.bases()
        let (aLocal, aRemote) = try #require(selectedA)
        let (bLocal, bRemote) = try #require(selectedB)
        #expect(basesA.contains(aLocal) && basesB.contains(aRemote))
        #expect(basesB.contains(bLocal) && basesA.contains(bRemote))
        #expect(try await a.send([0x80, 7]))
        var iterator = b.incoming.makeAsyncIterator()
        #expect(await iterator.next()?.map(\.bytes) == [[0x80, 7]])
        // The streams finish at end-of-candidates (the silent server's probe gave up): two host candidates each.
        #expect(try await sentA == 2)
        #expect(try await sentB == 2)
        #expect(try await a.localDescription().endOfCandidates)
        await a.close()
        await b.close()
        await silent.close()
        try await group.shutdownGracefully()
    }

    @Test(
        "without trickle, start still waits for gathering and the stream has already finished",
        .timeLimit(.minutes(1))
    )
    func completeGatheringByDefault() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await STUNServer.start(primary: TransportAddress(ip: loopback, port: 0), group: group)
        let session = try await ICESession.start(
            role: .controlling,
            hostAddresses: [loopback],
            stunServers: [server.sockets[0].localAddress],
            group: group
        )
        #expect(try await session.localDescription().endOfCandidates)
        var reported: [Candidate.Kind] = []
        for await candidate in session.localCandidates { reported.append(candidate.kind) }
        #expect(reported == [.host])  // on loopback the reflexive address is the host address: not a candidate
        await session.close()
        await server.close()
        try await group.shutdownGracefully()
    }

    @Test("a session closed mid-gathering finishes its candidate stream", .timeLimit(.minutes(1)))
    func closeWhileGathering() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let silent = try await Self.silentServer(loopback, group: group)
        let session = try await ICESession.start(
            role: .controlled,
            hostAddresses: [loopback],
            stunServers: [silent.localAddress],
            trickle: true,
            group: group
        )
        #expect(try await !session.localDescription().endOfCandidates)
        await session.close()
        var reported = 0
        for await _ in session.localCandidates { reported += 1 }
        #expect(reported == 1)
        await silent.close()
        try await group.shutdownGracefully()
    }
}
