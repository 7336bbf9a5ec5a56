import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import RelayServer

/// What `listen` binds (decision 0099), and how a host without IPv6 is met: real sockets, no process.
@Suite struct DualStackListenTests {
    func listeners(_ listen: String) throws -> [RelayListener] {
        try RelayServerConfiguration(listen: listen, dataDirectory: "unused").listeners().listeners
    }

    @Test func listenNamesTheSocketsToBind() async throws {
        let bare = try JSONDecoder().decode(RelayServerConfiguration.self, from: Data("{}".utf8))
        #expect(bare.listen == "localhost:7400")
        #expect(
            try listeners("localhost:7400") == [
                RelayListener(host: "127.0.0.1"), RelayListener(host: "::1", whenMissing: .skip),
            ]
        )
        #expect(
            try listeners("[::]:7400") == [
                RelayListener(host: "::", dualStack: true, whenMissing: .fallBack(to: "0.0.0.0"))
            ]
        )
        #expect(try listeners("0.0.0.0:7400") == [RelayListener(host: "0.0.0.0")])
        #expect(try listeners("[::1]:7400") == [RelayListener(host: "::1")])
        #expect(RelayDHTConfiguration().listen == ["0.0.0.0:4646", "[::]:4646"])
        // Metrics on the relay's own port is refused for localhost too, whichever loopback it names.
        var clash = RelayServerConfiguration(listen: "localhost:7400", dataDirectory: "unused")
        clash.metricsListen = "[::1]:7400"
        #expect(throws: RelayServerError.self) { try clash.check() }
    }

    func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
    }

    @Test func anIPv6ListenerTheHostCannotHaveIsSkippedOrReplaced() async throws {
        // 2001:db8::1 is on no interface here: binding it fails with EADDRNOTAVAIL, as ::1 does on a host with IPv6
        // disabled, so it stands in for "no IPv6 on this host".
        let skipped = try await RelayServer.bind(
            [RelayListener(host: "127.0.0.1"), RelayListener(host: "2001:db8::1", whenMissing: .skip)],
            port: 0,
            bootstrap: bootstrap,
            logger: .init(label: "test")
        )
        #expect(skipped.count == 1 && skipped.first?.localAddress?.protocol == .inet)
        for channel in skipped { try await channel.close() }

        // A wildcard that cannot be bound falls back to its IPv4 twin (127.0.0.1 here, to stay on loopback).
        let replaced = try await RelayServer.bind(
            [RelayListener(host: "2001:db8::1", dualStack: true, whenMissing: .fallBack(to: "127.0.0.1"))],
            port: 0,
            bootstrap: bootstrap,
            logger: .init(label: "test")
        )
        #expect(replaced.count == 1 && replaced.first?.localAddress?.ipAddress == "127.0.0.1")
        for channel in replaced { try await channel.close() }

        // A listener that must bind still fails, and nothing is left open.
        await #expect(throws: (any Error).self) {
            _ = try await RelayServer.bind(
                [RelayListener(host: "2001:db8::1")],
                port: 0,
                bootstrap: bootstrap,
                logger: .init(label: "test")
            )
        }
    }

    @Test func aTakenPortIsNeverSkipped() async throws {
        let holder = try await bootstrap().bind(host: "::1", port: 0).get()
        let port = try #require(holder.localAddress?.port)
        // EADDRINUSE on the optional ::1 is a conflict, not a missing IPv6: the relay must not start half-bound.
        await #expect(throws: (any Error).self) {
            _ = try await RelayServer.bind(
                [RelayListener(host: "127.0.0.1"), RelayListener(host: "::1", whenMissing: .skip)],
                port: port,
                bootstrap: bootstrap,
                logger: .init(label: "test")
            )
        }
        try await holder.close()
    }
}
