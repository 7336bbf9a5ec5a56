import Kademlia
import MeshCore
import NIOCore

/// Turns what the operator wrote after `--lan` and the host's interfaces into the pure `LANInterface` values the
/// plan works on.
enum LANInterfaces {
    /// `spec` is an address of the interface (`198.51.100.1`, `2001:db8::1`, `fe80::1%eth0`, `fe80::1%3`) or its
    /// name (`eth0`). Returns the address it named, if any, and the interface.
    static func find(_ spec: String, devices: [NIONetworkDevice]) throws -> ([UInt8]?, LANInterface) {
        let interfaces = list(devices)
        var text = spec
        var scope: String?
        if let percent = spec.firstIndex(of: "%") {
            text = String(spec[..<percent])
            let suffix = String(spec[spec.index(after: percent)...])
            scope = Int(suffix).flatMap { index in interfaces.first { $0.index == index }?.name } ?? suffix
        }
        if let address = try? SocketAddress(ipAddress: text, port: 0), let ip = TransportAddress(address)?.ip.bytes {
            return (ip, try LANInterface.find(address: ip, name: scope, spec: spec, in: interfaces))
        }
        guard scope == nil else { throw LANDiscoveryError("\(spec) is neither an address nor an interface name") }
        return (nil, try LANInterface.find(address: nil, name: spec, spec: spec, in: interfaces))
    }

    /// One entry per interface name, its addresses in the order the system lists them.
    static func list(_ devices: [NIONetworkDevice]) -> [LANInterface] {
        var interfaces: [LANInterface] = []
        for device in devices {
            let ip = device.address.flatMap { TransportAddress($0) }?.ip.bytes
            if let at = interfaces.firstIndex(where: { $0.name == device.name }) {
                if let ip { interfaces[at].addresses.append(ip) }
            } else {
                interfaces.append(
                    LANInterface(
                        name: device.name,
                        index: device.interfaceIndex,
                        addresses: ip.map { [$0] } ?? [],
                        multicast: device.multicastSupported
                    )
                )
            }
        }
        return interfaces
    }
}
