import ICE
import MeshCore
import NIOPosix
import Testing

@testable import ICEDriver

/// PCP (RFC 6887, 11.1) names a mapping by the nonce of the request that made it: a renewal or a deletion with
/// another nonce is refused as someone else's. Found in the lab (decision 0111): every request drew a fresh nonce,
/// so miniupnpd answered each deletion "Unauthorized to remove PCP mapping" and mappings outlived the attempts and
/// nodes that made them. A real UDP gateway on loopback here, answering as miniupnpd does.
@Suite("PCP renewals and deletions repeat the mapping's nonce")
struct PCPNonceTests {
    let loopback = IPAddress("127.0.0.1")!

    @Test("map, renew and delete carry one nonce; the renewal asks for the port granted", .timeLimit(.minutes(1)))
    func nonceIsKept() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let gateway = try await MiniPCPGateway.start(on: loopback, group: group)
        let mapped = try await GatewayProtocols.map(
            method: "pcp",
            gateway: loopback,
            client: loopback,
            internalPort: 40_001,
            lifetime: 600,
            group: group
        )
        #expect(mapped.externalPort == 50_001, "the gateway grants another port than the one suggested")
        #expect(mapped.pcpNonce?.count == 12)
        let renewed = try await GatewayProtocols.map(
            method: "pcp",
            gateway: loopback,
            client: loopback,
            internalPort: 40_001,
            lifetime: 600,
            renewing: mapped,
            group: group
        )
        _ = try await GatewayProtocols.map(
            method: "pcp",
            gateway: loopback,
            client: loopback,
            internalPort: 40_001,
            lifetime: 0,
            renewing: renewed,
            group: group
        )
        // A request the gateway answers after the 250 ms retransmission (a loaded machine: CI, December 6) arrives
        // twice in a row; a retransmission that went on after its answer would show up inside a later exchange.
        let all = gateway.requests()
        let requests = all.enumerated().filter { $0.offset == 0 || all[$0.offset - 1] != $0.element }.map(\.element)
        #expect(requests.count == 3, "an answer stops the retransmissions (\(all.count) sent in all)")
        #expect(Set(all.map(\.nonce)).count == 1, "one mapping, one nonce")
        #expect(requests.map(\.suggestedPort) == [40_001, 50_001, 50_001])
        #expect(requests.map(\.lifetime) == [600, 600, 0])
        #expect(gateway.refused() == 0)
        await gateway.stop()
        try await group.shutdownGracefully()
    }
}

/// A deletion's outcome is the caller's to see: it used to be dropped (`try?`), so a gateway that refused one
/// looked the same as one that deleted it, and the mapping outlived its owner unsaid.
@Suite("Port mapping deletions say whether the gateway confirmed them")
struct PortMapDeletionTests {
    let loopback = IPAddress("127.0.0.1")!

    @Test(
        "a confirmed deletion is .deleted; one the gateway refuses is .failed with its reason",
        .timeLimit(.minutes(1))
    )
    func outcomeIsReported() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Its own loopback address: the suite above runs at the same time with a gateway on 127.0.0.1.
        let at = IPAddress("127.0.0.2")!
        let gateway = try await MiniPCPGateway.start(on: at, group: group)
        let mapper = PortMapper(group: group, gateway: { at })
        let base = TransportAddress(ip: loopback, port: 40_002)
        let mapping = try await mapper.map(base, lease: .seconds(600), methods: [.pcp])
        #expect(mapping.externalPort == 50_002)
        // Another client's deletion (another nonce) is refused by the gateway, and the outcome says so.
        var forged = mapping
        forged.pcpNonce = [UInt8](repeating: 7, count: 12)
        guard case .failed(let reason) = await mapper.unmap(forged) else {
            Issue.record("a refused deletion was reported as done")
            return
        }
        #expect(!reason.isEmpty)
        #expect(await mapper.unmap(mapping) == .deleted)
        #expect(gateway.refused() == 1)
        // No gateway at all: nothing was deleted, and the outcome says why.
        let nowhere = PortMapper(group: group, gateway: { nil })
        #expect(await nowhere.unmap(mapping) == .failed("no default gateway"))
        await mapper.shutdown()
        await nowhere.shutdown()
        await gateway.stop()
        try await group.shutdownGracefully()
    }
}

/// A PCP server for one mapping, as strict as miniupnpd about nonces: the first MAP for an internal port makes the
/// mapping (external port = internal + 10,000); any later MAP for it with another nonce gets NOT_AUTHORIZED (2).
final class MiniPCPGateway: Sendable {
    struct Request: Sendable, Equatable {
        var nonce: [UInt8]
        var suggestedPort: UInt16
        var lifetime: UInt32
    }

    private let socket: UDPSocket
    private let state: LockedValue<(requests: [Request], owners: [UInt16: [UInt8]], refused: Int)>

    private init(socket: UDPSocket, state: LockedValue<(requests: [Request], owners: [UInt16: [UInt8]], refused: Int)>)
    {
        self.socket = socket
        self.state = state
    }

    static func start(on ip: IPAddress, group: MultiThreadedEventLoopGroup) async throws -> MiniPCPGateway {
        let state = LockedValue<(requests: [Request], owners: [UInt16: [UInt8]], refused: Int)>(([], [:], 0))
        let reply = LockedValue<UDPSocket?>(nil)
        let socket = try await UDPSocket.bind(TransportAddress(ip: ip, port: NATPMP.port), group: group) {
            bytes,
            from,
            _ in
            guard bytes.count == 60, bytes[0] == 2, bytes[1] == 1 else { return }
            let lifetime = bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let nonce = Array(bytes[24..<36])
            let port = UInt16(bytes[40]) << 8 | UInt16(bytes[41])
            let suggested = UInt16(bytes[42]) << 8 | UInt16(bytes[43])
            let code: UInt8 = state.withLock { state in
                state.requests.append(Request(nonce: nonce, suggestedPort: suggested, lifetime: lifetime))
                if let owner = state.owners[port], owner != nonce {
                    state.refused += 1
                    return 2
                }
                state.owners[port] = lifetime == 0 ? nil : nonce
                return 0
            }
            var answer = [UInt8](repeating: 0, count: 60)
            answer[0] = 2
            answer[1] = 0x81
            answer[3] = code
            answer.replaceSubrange(4..<8, with: bytes[4..<8])
            answer.replaceSubrange(24..<36, with: nonce)
            answer[36] = 17
            answer[40] = bytes[40]
            answer[41] = bytes[41]
            let external = port &+ 10_000
            answer[42] = UInt8(external >> 8)
            answer[43] = UInt8(external & 0xFF)
            answer.replaceSubrange(44..<60, with: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 203, 0, 113, 70])
            reply.withLock { $0 }?.send(answer, to: from)
        }
        reply.withLock { $0 = socket }
        return MiniPCPGateway(socket: socket, state: state)
    }

    func requests() -> [Request] { state.withLock { $0.requests } }
    func refused() -> Int { state.withLock { $0.refused } }
    func stop() async { await socket.close() }
}
