import ArgumentParser
import DirectPath
import Foundation
import ICE
import ICEDriver
import MeshCore
import NIOPosix

/// `meshlab ice-connect`: the lab's ICE probe. Gathers candidates, writes its description to a file, reads the
/// peer's from another (processes in different network namespaces share the file system; in the node the
/// descriptions travel inside the encrypted session), runs connectivity checks and prints one JSON line.
struct ICEConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ice-connect",
        abstract: "Run ICE against a peer, exchanging descriptions through files; print JSON."
    )

    @Option(help: "controlling or controlled.")
    var role: String

    @Option(help: "Host address to bind (repeatable); default: every interface address.")
    var host: [String] = []

    @Option(help: "UDP port to bind (0 picks one).")
    var port: UInt16 = 0

    @Option(name: .customLong("stun"), help: "STUN server ip:port for a server-reflexive candidate (repeatable).")
    var stunServers: [String] = []

    @Option(help: "File to write our description (JSON) to.")
    var localOut: String

    @Option(help: "File to read the peer's description from (waited for).")
    var remoteIn: String

    @Flag(name: .customLong("port-mapping"), help: "Add a UPnP IGD port-mapped candidate.")
    var portMapping = false

    @Flag(
        name: .customLong("no-port-prediction"),
        help: "Never open prediction sockets or probe ports, even against a symmetric NAT (docs/ice.md)."
    )
    var noPortPrediction = false

    @Option(help: "Give up after this many seconds in total.")
    var timeout: Int = 30

    @Option(help: "After a direct pair is selected, move this many bytes over an encrypted direct channel.")
    var transferBytes: Int = 0

    @Option(
        help: "After the transfer, keep the channel idle this many seconds, then check it still carries a message."
    )
    var holdSeconds: Int = 0

    func run() async throws {
        guard let role = ICERole(rawValue: role) else { throw ValidationError("--role controlling|controlled") }
        let hosts = host.isEmpty ? HostInterfaces.addresses(includeIPv6: false) : host.compactMap(IPAddress.init)
        let servers = stunServers.compactMap(TransportAddress.init)
        let deadline = ContinuousClock.now + .seconds(timeout)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = ICEAgentConfig()
        config.portPrediction.enabled = !noPortPrediction
        let session = try await ICESession.start(
            role: role,
            hostAddresses: hosts,
            port: port,
            stunServers: servers,
            config: config,
            group: group
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let mapper = portMapping ? PortMapper(group: group) : nil
        var mapping: PortMapping?
        if let mapper, let base = try await session.bases().first {
            mapping = try? await mapper.map(base, lease: .seconds(timeout + 120))
            let reflexive = try await session.localDescription().parsedCandidates.first { $0.kind == .serverReflexive }
            let usable = mapping?.externalIP.flatMap { $0.bytes.allSatisfy { $0 == 0 } ? nil : $0 }
            if let mapping, let ip = usable ?? reflexive?.address.ip {
                let address = TransportAddress(ip: ip, port: mapping.externalPort)
                // A port-mapped address is reachable from anywhere: rank it above the STUN-learned one.
                try await session.addLocalCandidate(
                    Candidate(
                        kind: .serverReflexive,
                        address: address,
                        base: base,
                        relatedAddress: base,
                        localPreference: 65_535
                    )
                )
            }
        }
        let mine = try await session.localDescription()
        try LabTransfer.offer(mine, encoder: encoder).write(to: URL(fileURLWithPath: localOut + ".tmp"))
        guard rename(localOut + ".tmp", localOut) == 0 else { throw ValidationError("cannot write \(localOut)") }
        // Bounded wait for the peer's file: at most `timeout` seconds, checked every 20 ms.
        var remote: ICEDescription?
        var remoteCiphers: [ChannelCipher] = []
        while remote == nil, ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: remoteIn) {
                remote = try? JSONDecoder().decode(ICEDescription.self, from: data)
                remoteCiphers = LabTransfer.offeredCiphers(data)
            }
            if remote == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        var result: [String: String] = ["role": role.rawValue, "candidates": String(mine.candidates.count)]
        if let remote {
            try await session.setRemote(remote)
            let outcome = await Self.outcome(session.events, until: deadline)
            result.merge(outcome) { $1 }
            if let prediction = try? await session.portPredictionStatus() {
                result["prediction"] = prediction.role.rawValue
                result["prediction_packets"] = String(prediction.packetsSent)
                result["prediction_sockets"] = String(prediction.socketsOpened)
                if let hit = prediction.hit { result["prediction_hit"] = hit.description }
                if let open = try? await session.openPredictionSockets() {
                    result["prediction_sockets_open"] = String(open)
                }
            }
            if transferBytes > 0, outcome["path"] == "direct" {
                let isSender = role == .controlling
                let keys = try LabTransfer.keys(
                    controlling: isSender ? mine : remote,
                    controlled: isSender ? remote : mine,
                    cipher: ChannelCipher.agree(
                        initiator: isSender ? ChannelCipher.supported : remoteCiphers,
                        responder: isSender ? remoteCiphers : ChannelCipher.supported
                    )
                )
                let transfer = await LabTransfer.run(
                    session: session,
                    isSender: isSender,
                    keys: keys,
                    bytes: transferBytes,
                    hold: .seconds(holdSeconds),
                    until: deadline
                )
                result.merge(transfer) { $1 }
            }
        } else {
            result["path"] = "needs-relay"
            result["error"] = "no peer description"
        }
        // Keep answering the peer's checks briefly so it can finish its own nomination.
        try? await Task.sleep(for: .milliseconds(500))
        await session.close()
        if let mapper {
            if let mapping { result["unmap"] = "\(await mapper.unmap(mapping))" }
            await mapper.shutdown()
        }
        try await group.shutdownGracefully()
        let line = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: line, as: UTF8.self))
    }

    static func outcome(
        _ events: AsyncStream<ICEEvent>,
        until deadline: ContinuousClock.Instant
    ) async -> [String: String] {
        await withTaskGroup(of: [String: String].self) { group in
            group.addTask {
                for await event in events {
                    switch event {
                    case .selected(let local, let remote, let elapsed):
                        let ms = String(format: "%.0f", elapsed.milliseconds)
                        return ["path": "direct", "connect_ms": ms, "local": "\(local)", "remote": "\(remote)"]
                    case .failed(let failure):
                        return ["path": "needs-relay", "error": failure.code.rawValue, "detail": failure.description]
                    default: continue
                    }
                }
                return ["path": "needs-relay", "error": "closed"]
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return ["path": "needs-relay", "error": "timeout"]
            }
            let first = await group.next() ?? [:]
            group.cancelAll()
            return first
        }
    }
}
