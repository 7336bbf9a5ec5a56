import ICE
import MeshCore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// PCP and NAT-PMP mapping against the default gateway (port 5351), over a short-lived UDP socket bound to the LAN
/// address being mapped. Requests are retransmitted at 0, 250, 750 and 1750 ms; the exchange gives up after 3.75 s.
enum GatewayProtocols {
    static func map(
        method: String,
        gateway: IPAddress,
        client: IPAddress,
        internalPort: UInt16,
        lifetime: UInt32,
        renewing previous: PortMapping? = nil,
        group: EventLoopGroup
    ) async throws -> PortMapping {
        let server = TransportAddress(ip: gateway, port: NATPMP.port)
        var random = SystemRandom()
        // A renewal or deletion names the mapping it holds: PCP by its nonce, both by the external port granted.
        let suggested = previous?.externalPort ?? internalPort
        switch method {
        case "pcp":
            let nonce = previous?.pcpNonce ?? random.bytes(count: 12)
            let request = PCP.mapRequest(
                client: client,
                internalPort: internalPort,
                suggestedExternalPort: suggested,
                lifetime: lifetime,
                nonce: nonce
            )
            let response = try await exchange(request, with: server, from: client, group: group) {
                (try? PCP.parseMapResponse($0)).flatMap { $0.nonce == nonce ? $0 : nil }
            }
            guard let response, response.resultCode == 0, lifetime == 0 || response.externalPort != 0 else {
                throw failure("pcp", response.map { "result code \($0.resultCode)" } ?? "no answer from \(server)")
            }
            return PortMapping(
                method: "pcp",
                internalAddress: TransportAddress(ip: client, port: internalPort),
                externalPort: response.externalPort,
                externalIP: response.externalIP,
                lease: .seconds(Int64(response.lifetime)),
                pcpNonce: nonce
            )
        default:
            let request = NATPMP.mapRequest(
                internalPort: internalPort,
                suggestedExternalPort: lifetime == 0 ? 0 : suggested,
                lifetime: lifetime
            )
            let response = try await exchange(request, with: server, from: client, group: group) {
                try? NATPMP.parseMapResponse($0)
            }
            guard let response, response.resultCode == 0 else {
                throw failure("nat-pmp", response.map { "result code \($0.resultCode)" } ?? "no answer from \(server)")
            }
            let external = try? await exchange(NATPMP.externalAddressRequest, with: server, from: client, group: group)
            {
                try? NATPMP.parseExternalAddress($0)
            }
            return PortMapping(
                method: "nat-pmp",
                internalAddress: TransportAddress(ip: client, port: internalPort),
                externalPort: response.externalPort,
                externalIP: external ?? nil,
                lease: .seconds(Int64(response.lifetime))
            )
        }
    }

    static func failure(_ method: String, _ reason: String) -> ICEDriverError {
        ICEDriverError(code: .portMappingFailed, reason: "\(method): \(reason)")
    }

    /// Sends `request` until `accept` takes an answer from `server` or the schedule ends (nil).
    static func exchange<T: Sendable>(
        _ request: [UInt8],
        with server: TransportAddress,
        from client: IPAddress,
        group: EventLoopGroup,
        accept: @escaping @Sendable ([UInt8]) -> T?
    ) async throws -> T? {
        let (answers, sink) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(16))
        let socket = try await UDPSocket.bind(TransportAddress(ip: client, port: 0), group: group) { bytes, from, _ in
            if from == server { sink.yield(bytes) }
        }
        let result = await withTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                for await bytes in answers { if let value = accept(bytes) { return value } }
                return nil
            }
            tasks.addTask {
                // An answer cancels this task: the cancelled sleep throws, and nothing more is sent (a `try?` here
                // once sent all four copies the moment the first was answered).
                for delay in [250, 500, 1_000, 2_000] {
                    socket.send(request, to: server)
                    do { try await Task.sleep(for: .milliseconds(delay)) } catch { break }
                }
                return nil
            }
            let first = await tasks.next() ?? nil
            tasks.cancelAll()
            sink.finish()
            return first
        }
        await socket.close()
        return result
    }

    /// The IPv4 default gateway from /proc/net/route (Linux); nil when there is none.
    static func defaultGateway() -> IPAddress? {
        let fd = open("/proc/net/route", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        for line in text.split(separator: "\n").dropFirst().prefix(256) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count > 2, fields[1] == "00000000", let raw = UInt32(fields[2], radix: 16), raw != 0 else {
                continue
            }
            // The kernel prints the address in host (little-endian) order.
            return IPAddress(bytes: [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: raw >> $0) })
        }
        return nil
    }
}
