import ArgumentParser
import Foundation
import ICE
import ICEDriver
import MeshCore
import NIOPosix

/// `meshpeer stun-server`: a standalone STUN Binding server, e.g. for the lab's internet host.
struct STUNServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stun-server",
        abstract: "Answer STUN Binding requests (rate-limited per source); with --alternate, RFC 5780 tests too."
    )

    @Option(help: "Address to listen on, ip:port.")
    var listen: String

    @Option(help: "Alternate ip:port: binds the four RFC 5780 sockets so clients can measure NAT filtering.")
    var alternate: String?

    @Option(help: "Stop after this many seconds (0: run until killed).")
    var duration: Int = 0

    func run() async throws {
        guard let primary = TransportAddress(listen) else { throw ValidationError("not an ip:port: \(listen)") }
        let other = try alternate.map {
            guard let a = TransportAddress($0) else { throw ValidationError("not an ip:port: \($0)") }
            return a
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await STUNServer.start(
            primary: primary,
            alternateIP: other?.ip,
            alternatePort: other?.port,
            group: group
        )
        print("stun-server listening on " + server.sockets.map(\.localAddress.description).joined(separator: " "))
        fflush(nil)
        if duration > 0 {
            try await Task.sleep(for: .seconds(duration))
        } else {
            try await server.sockets[0].channel.closeFuture.get()
        }
        await server.close()
        try await group.shutdownGracefully()
    }
}
