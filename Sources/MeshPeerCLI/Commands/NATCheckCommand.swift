import ArgumentParser
import CLISupport
import Foundation
import ICE
import ICEDriver
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix

/// `meshpeer nat-check`: what kind of NAT is this machine behind (Tailscale netcheck's idea).
struct NATCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nat-check",
        abstract: "Classify the NAT in front of this machine: mapping, filtering, UDP reachability, port mapping.",
        discussion: """
            Sends STUN Binding requests to each --stun server (host:port; a name is resolved) from one UDP socket. \
            Without --stun it asks up to four nodes of the bootstrap list (the data directory's \
            bootstrap-nodes.json, else the built-in one): every DHT node answers STUN on its port. Two servers that \
            see different \
            public ports mean a symmetric NAT; a server with an alternate address (RFC 5780, e.g. \
            `meshpeer stun-server --alternate`) lets it measure filtering. With --port-mapping it also asks the \
            gateway for a mapping (PCP, NAT-PMP, then UPnP IGD) and keeps it (and a STUN responder on the socket) for --hold seconds.
            """
    )

    @Option(
        name: .customLong("stun"),
        help: "A STUN server as host:port or ip:port (repeat; default: nodes of the bootstrap list)."
    )
    var stunServers: [String] = []

    @OptionGroup var home: HomeOptions

    @Option(help: "Local address to bind, ip:port (port 0 picks one).")
    var bind = "0.0.0.0:0"

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .customLong("port-mapping"), help: "Also ask the gateway for a port mapping (PCP, NAT-PMP, UPnP IGD).")
    var portMapping = false

    @Option(name: .customLong("port-mapping-method"), help: "Only this method: pcp, nat-pmp or upnp-igd.")
    var portMappingMethod: String?

    @Option(help: "Seconds to keep the socket (answering STUN) and any mapping alive after the report.")
    var hold: Int = 0

    func run() async throws {
        let servers =
            try stunServers.isEmpty ? Self.bootstrapServers(home: home.keystore.home) : stunServers.map(Self.resolve)
        guard (0...600).contains(hold) else { throw ValidationError("--hold must be 0-600 seconds") }
        let bindAddress = try Self.address(bind)
        var methods: [PortMapMethod] = portMapping ? PortMapMethod.allCases : []
        if let name = portMappingMethod {
            guard let method = PortMapMethod(rawValue: name) else { throw ValidationError("unknown method \(name)") }
            methods = [method]
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let json = json
        let outcome = try await NATCheck.run(
            servers: servers,
            bind: bindAddress,
            group: group,
            portMapping: methods,
            hold: .seconds(hold)
        ) { report in
            if json {
                print(NATReportText.json(report))
            } else {
                print(NATReportText.human(report))
            }
            fflush(nil)
        } onUnmap: { deletion in
            // The report went out already; a mapping left behind is the gateway's until its lease ends.
            if case .failed(let reason) = deletion {
                FileHandle.standardError.write(
                    Data("warning: the port mapping was not deleted (\(reason)); it lapses with its lease\n".utf8)
                )
            }
        }
        try await group.shutdownGracefully()
        if !outcome.udp { throw ExitCode(2) }
    }

    static func address(_ text: String) throws -> TransportAddress {
        guard let address = TransportAddress(text) else { throw ValidationError("not an ip:port address: \(text)") }
        return address
    }

    /// At most this many bootstrap nodes are asked (two are enough to tell symmetric from cone; more only help
    /// when some are down).
    static let defaultServerCount = 4

    /// `host:port` or `ip:port` (an IPv6 host in brackets): a name is resolved (the first address it has).
    static func resolve(_ text: String) throws -> TransportAddress {
        if let address = TransportAddress(text) { return address }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port)
        else { throw ValidationError("not a host:port address: \(text)") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= 253 else { throw ValidationError("not a host:port address: \(text)") }
        let resolved: SocketAddress
        do {
            resolved = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw CLIError("cannot resolve \(host): \(error)")
        }
        guard let ip = resolved.ipAddress,
            let address = TransportAddress(ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)")
        else { throw ValidationError("\(host) resolved to an address nat-check cannot use") }
        return address
    }

    /// Up to `defaultServerCount` nodes of the bootstrap list as STUN servers; names that do not resolve are
    /// skipped. Throws, saying what to do, when none is left.
    static func bootstrapServers(home: String) throws -> [TransportAddress] {
        let list: (list: BootstrapList, origin: String)?
        do {
            list = try BootstrapList.standard(file: nil, home: home, explicitSeeds: false, listen: [])
        } catch {
            throw CLIError("cannot read the bootstrap list: \(error)")
        }
        var servers: [TransportAddress] = []
        for node in list?.list.nodes ?? [] where servers.count < defaultServerCount {
            if let address = try? resolve(node.address), !servers.contains(address) { servers.append(address) }
        }
        guard !servers.isEmpty else {
            throw CLIError(
                "no STUN server to ask: \(list?.origin ?? "the bootstrap list") names no node that resolves; "
                    + "give --stun host:port (any DHT node or STUN server), or add nodes to "
                    + "\(home)/\(BootstrapList.fileName)"
            )
        }
        return servers
    }
}

/// Renders a `NATReport` for people and for scripts.
enum NATReportText {
    static func json(_ report: NATReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func human(_ report: NATReport) -> String {
        var lines = ["NAT check:"]
        lines.append(
            "  UDP:                "
                + (report.udp ? "yes" : "no answer from any of \(report.servers.count) server(s): blocked, or down")
        )
        lines.append("  class:              \(report.natClass.rawValue)")
        lines.append("  certainty:          \(report.certainty.rawValue) (\(report.certainty.explanation))")
        lines.append("  public address:     \(report.publicAddress ?? "unknown")")
        let varies = report.mappingVariesByDestination.map { $0 ? "yes (symmetric)" : "no" } ?? "unknown (one server)"
        lines.append("  mapping varies:     \(varies)")
        lines.append("  filtering:          \(report.filtering.rawValue)")
        lines.append("  double NAT:         \(report.doubleNAT.map { $0 ? "yes" : "no" } ?? "unknown")")
        lines.append("  hairpinning:        \(report.hairpinning.map { $0 ? "yes" : "no" } ?? "unknown")")
        lines.append(
            "  port mapping:       \(report.portMapping.map { "\($0) \(report.portMappedAddress ?? "")" } ?? "none")"
        )
        for server in report.servers {
            let rtt = server.rttMilliseconds.map { String(format: "%.1f ms", $0) } ?? "no answer"
            lines.append("  server \(server.server): \(server.mapped ?? "-") (\(rtt))")
        }
        return lines.joined(separator: "\n")
    }
}
