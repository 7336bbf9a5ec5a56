import ICE
import MeshCore
import NIOCore

/// Obtains, renews and removes a port mapping on the gateway (issue: mappings have a lifetime, are renewed before
/// it ends, and are removed on shutdown).
public final class PortMapper: Sendable {
    let group: EventLoopGroup
    let upnp = UPnPMapper()
    let renewal = LockedValue<Task<Void, Never>?>(nil)
    /// Where PCP and NAT-PMP requests go: the default route's gateway (a test names its own).
    let gateway: @Sendable () -> IPAddress?

    public convenience init(group: EventLoopGroup) {
        self.init(group: group, gateway: { GatewayProtocols.defaultGateway() })
    }

    init(group: EventLoopGroup, gateway: @escaping @Sendable () -> IPAddress?) {
        self.group = group
        self.gateway = gateway
    }

    /// Tries each method in order; the error lists why each one failed.
    public func map(
        _ internalAddress: TransportAddress,
        lease: Duration = .seconds(600),
        methods: [PortMapMethod] = PortMapMethod.allCases,
        renewing previous: PortMapping? = nil
    ) async throws -> PortMapping {
        var reasons: [String] = []
        let client = Self.clientAddress(internalAddress.ip)
        let seconds = UInt32(clamping: lease.components.seconds)
        for method in methods {
            do {
                switch method {
                case .upnpIGD:
                    return try await upnp.map(
                        internalPort: internalAddress.port,
                        externalPort: previous?.externalPort,
                        lease: lease
                    )
                case .pcp, .natPMP:
                    guard let gateway = gateway(), let client else {
                        throw GatewayProtocols.failure(method.rawValue, "no default gateway or LAN address")
                    }
                    return try await GatewayProtocols.map(
                        method: method.rawValue,
                        gateway: gateway,
                        client: client,
                        internalPort: internalAddress.port,
                        lifetime: seconds,
                        renewing: previous,
                        group: group
                    )
                }
            } catch {
                reasons.append("\(error)")
            }
        }
        throw ICEDriverError(code: .portMappingFailed, reason: reasons.joined(separator: "; "))
    }

    /// Renews `mapping` at half its lease until `stop()` (bounded: one request per half-lease). `renewed` hears
    /// every answer, granted or not: a gateway may hand out another external port on renewal (PCP and NAT-PMP
    /// allow it, and a rebooted gateway forgets), and whoever published the old one must learn it.
    public func keepRenewed(
        _ mapping: PortMapping,
        renewed: (@Sendable (Result<PortMapping, any Error>) async -> Void)? = nil
    ) {
        let method = PortMapMethod(rawValue: mapping.method) ?? .upnpIGD
        let task = Task { [self] in
            var current = mapping
            while !Task.isCancelled {
                try? await Task.sleep(for: max(current.lease / 2, .seconds(1)))
                if Task.isCancelled { break }
                let answer: Result<PortMapping, any Error>
                do {
                    answer = .success(
                        try await map(
                            current.internalAddress,
                            lease: current.lease,
                            methods: [method],
                            renewing: current
                        )
                    )
                } catch {
                    answer = .failure(error)
                }
                if case .success(let granted) = answer { current = granted }
                if let renewed, !Task.isCancelled { await renewed(answer) }
            }
        }
        renewal.withLock {
            $0?.cancel()
            $0 = task
        }
    }

    /// Stops renewal and deletes the mapping. The outcome says whether the gateway confirmed it: a mapping it did
    /// not delete stays until its lease runs out, which the caller should say (a log line), not hide.
    @discardableResult
    public func unmap(_ mapping: PortMapping) async -> PortMapDeletion {
        renewal.withLock {
            $0?.cancel()
            $0 = nil
        }
        switch PortMapMethod(rawValue: mapping.method) {
        case .pcp, .natPMP:
            guard let gateway = gateway() else { return .failed("no default gateway") }
            do {
                _ = try await GatewayProtocols.map(
                    method: mapping.method,
                    gateway: gateway,
                    client: mapping.internalAddress.ip,
                    internalPort: mapping.internalAddress.port,
                    lifetime: 0,
                    renewing: mapping,
                    group: group
                )
                return .deleted
            } catch {
                return .failed("\(error)")
            }
        case .upnpIGD, nil:
            return await upnp.unmap(mapping)
        }
    }

    public func shutdown() async {
        renewal.withLock {
            $0?.cancel()
            $0 = nil
        }
        await upnp.shutdown()
    }

    /// The LAN address the mapping is for: the bound address, or the first IPv4 interface address for a wildcard.
    static func clientAddress(_ ip: IPAddress) -> IPAddress? {
        guard ip.bytes.allSatisfy({ $0 == 0 }) else { return ip }
        return HostInterfaces.addresses(includeIPv6: false).first
    }
}

/// Whether a gateway confirmed that it deleted a mapping.
public enum PortMapDeletion: Sendable, Equatable, CustomStringConvertible {
    case deleted
    /// Not confirmed, and why: the mapping lapses with its lease.
    case failed(String)

    public var description: String {
        switch self {
        case .deleted: "deleted"
        case .failed(let reason): "not deleted: \(reason)"
        }
    }
}
