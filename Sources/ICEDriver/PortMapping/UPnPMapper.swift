import CMiniUPnPc
import ICE
import MeshCore
import NIOCore
import NIOPosix

/// A port mapping obtained from the gateway.
public struct PortMapping: Sendable, Hashable {
    public var method: String
    public var internalAddress: TransportAddress
    public var externalPort: UInt16
    /// What the gateway says its external address is; empty or private when it sits behind another NAT (or in the
    /// lab, on a documentation range), in which case the STUN-learned address is used with the mapped port.
    public var externalIP: IPAddress?
    public var lease: Duration
    /// PCP's mapping nonce (RFC 6887, 11.1): a renewal or a deletion must repeat it, or the gateway refuses it as
    /// another client's (miniupnpd: "Unauthorized to remove PCP mapping"), and the mapping outlives its owner.
    public var pcpNonce: [UInt8]? = nil
}

/// UPnP IGD port mapping through miniupnpc. Every call blocks (discovery takes about 4 s), so each runs on a
/// thread of a private `NIOThreadPool`, never on an event loop.
public final class UPnPMapper: Sendable {
    let pool: NIOThreadPool

    public init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    public func shutdown() async { try? await pool.shutdownGracefully() }

    /// Discovers the IGD and maps UDP `externalPort` (default: the internal port) to `internalPort` on the LAN
    /// address the gateway is reached from.
    public func map(
        internalPort: UInt16,
        externalPort: UInt16? = nil,
        lease: Duration = .seconds(600)
    ) async throws
        -> PortMapping
    {
        try await pool.runIfActive { try Self.mapBlocking(internalPort, externalPort ?? internalPort, lease) }
    }

    /// Removes a mapping (on shutdown, or before re-mapping), and says whether the gateway did.
    public func unmap(_ mapping: PortMapping) async -> PortMapDeletion {
        let code: Int32?
        do {
            code = try await pool.runIfActive {
                Self.withIGD { urls, data, _ in
                    UPNP_DeletePortMapping(
                        urls.controlURL,
                        &data.first.servicetype.0,
                        String(mapping.externalPort),
                        "UDP",
                        nil
                    )
                }
            }
        } catch {
            return .failed("the UPnP thread pool is shut down (\(error))")
        }
        guard let code else { return .failed("no UPnP IGD answered") }
        guard code == 0 else {
            return .failed("DeletePortMapping: \(String(cString: strupnperror(code))) (\(code))")
        }
        return .deleted
    }

    static func mapBlocking(_ internalPort: UInt16, _ externalPort: UInt16, _ lease: Duration) throws -> PortMapping {
        let result: Result<PortMapping, ICEDriverError>? = withIGD { urls, data, lan in
            guard let lanIP = IPAddress(lan) else {
                return .failure(ICEDriverError(code: .portMappingFailed, reason: "gateway gave no LAN address"))
            }
            let seconds = String(max(1, lease.components.seconds))
            let code = UPNP_AddPortMapping(
                urls.controlURL,
                &data.first.servicetype.0,
                String(externalPort),
                String(internalPort),
                lan,
                "meshpeer",
                "UDP",
                nil,
                seconds
            )
            guard code == 0 else {
                let reason = String(cString: strupnperror(code))
                return .failure(ICEDriverError(code: .portMappingFailed, reason: "AddPortMapping: \(reason) (\(code))"))
            }
            var external = [CChar](repeating: 0, count: 64)
            _ = UPNP_GetExternalIPAddress(urls.controlURL, &data.first.servicetype.0, &external)
            let externalIP = IPAddress(
                String(decoding: external.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            )
            return .success(
                PortMapping(
                    method: "upnp-igd",
                    internalAddress: TransportAddress(ip: lanIP, port: internalPort),
                    externalPort: externalPort,
                    externalIP: externalIP,
                    lease: lease
                )
            )
        }
        guard let result else { throw ICEDriverError(code: .portMappingFailed, reason: "no UPnP IGD found") }
        return try result.get()
    }

    /// Runs `body` with a discovered IGD (connected or not: a gateway whose WAN address is reserved reports
    /// "not connected" yet maps fine), freeing miniupnpc's structures afterwards. Nil when none answers.
    static func withIGD<T>(_ body: (inout UPNPUrls, inout IGDdatas, String) -> T) -> T? {
        var error: Int32 = 0
        guard let devices = upnpDiscover(2_000, nil, nil, 0, 0, 2, &error) else { return nil }
        defer { freeUPNPDevlist(devices) }
        var urls = UPNPUrls()
        var data = IGDdatas()
        var lan = [CChar](repeating: 0, count: 64)
        let status = UPNP_GetValidIGD(devices, &urls, &data, &lan, Int32(lan.count))
        guard status == 1 || status == 2 else {
            if status != 0 { FreeUPNPUrls(&urls) }
            return nil
        }
        defer { FreeUPNPUrls(&urls) }
        return body(&urls, &data, String(decoding: lan.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
