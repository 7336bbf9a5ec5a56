import ICE
import MeshCore
import NIOPosix
import Testing

@testable import ICEDriver

@Suite("Port prediction sockets in the driver, on loopback")
struct PredictionSocketsTests {
    let loopback = IPAddress("127.0.0.1")!

    /// The peer is a bare socket that never answers, so checks cannot succeed and prediction starts; our NAT hint
    /// is set by hand (loopback has no symmetric NAT to measure).
    @Test(
        "the symmetric side binds the configured sockets, sends one check from each, and closes them all",
        .timeLimit(.minutes(1))
    )
    func opensAndCloses() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (arrivals, arrived) = AsyncStream.makeStream(of: TransportAddress.self)
        let peer = try await UDPSocket.bind(TransportAddress(ip: loopback, port: 0), group: group) { bytes, from, _ in
            if (try? STUNMessage.decode(bytes))?.message.messageClass == .request { arrived.yield(from) }
        }
        var config = ICEAgentConfig()
        config.portPrediction.sockets = 32
        config.portPrediction.maximumDuration = .seconds(3)  // slack for a loaded machine: 32 sockets need 64 ms
        config.portPrediction.linger = .milliseconds(100)
        config.checkingTimeout = .seconds(3)
        let session = try await ICESession.start(
            role: .controlling,
            hostAddresses: [loopback],
            config: config,
            group: group
        )
        let host = try #require(try await session.bases().first)
        try await session.loop.submit {
            session.core.agent.setLocalNAT(ICENATHint(mapping: ICENATHint.endpointDependent, publicIP: self.loopback))
        }.get()
        try await session.setRemote(
            ICEDescription(
                credentials: ICECredentials(ufrag: "RRRR", pwd: "rrrrrrrrrrrrrrrrrrrrrrrr"),
                candidates: [Candidate(kind: .serverReflexive, address: peer.localAddress)],
                endOfCandidates: true,
                nat: ICENATHint(mapping: ICENATHint.endpointIndependent, publicIP: loopback)
            )
        )
        var sources: Set<TransportAddress> = []
        for await from in arrivals where from != host {
            sources.insert(from)
            if sources.count == 32 { break }
        }
        #expect(sources.count == 32)
        // The prediction sockets are open now (they linger until prediction ends at 3 s) yet are not bases: no host
        // candidate may be gathered on them.
        let openNow = try await session.openPredictionSockets()
        #expect(openNow > 0)
        #expect(try await session.bases() == [host])
        var failed = false
        for await event in session.events {
            if case .failed = event {
                failed = true
                break
            }
        }
        #expect(failed)
        #expect(try await session.openPredictionSockets() == 0)
        let status = try await session.portPredictionStatus()
        #expect(status.role == .opener && status.socketsOpened == 32 && status.packetsSent == 32)
        #expect(try await session.bases() == [host])
        await session.close()
        await peer.close()
        arrived.finish()
        try await group.shutdownGracefully()
    }
}
