import MeshCore

/// Which address families LAN discovery runs on, and from which addresses (sans-IO: the interface's addresses and
/// the DHT node's sockets go in, a plan or a clear refusal comes out; decision 0108).
///
/// A family runs only where both the interface and the DHT node have it, because an announcement tells neighbours
/// to ping the source address at the DHT port. Asked for both families (the default), a family that cannot run is
/// skipped with a sentence saying why; asked for one family, that sentence is the error.
public struct LANDiscoveryPlan: Hashable, Sendable {
    public struct IPv4: Hashable, Sendable {
        /// The interface's address, for `IP_MULTICAST_IF`; the kernel sends from it.
        public var interfaceAddress: [UInt8]
        public var dhtPort: UInt16
    }

    public struct IPv6: Hashable, Sendable {
        /// A global or unique-local address of the interface; announcements are sent from it, never from the
        /// link-local address the kernel would pick for a link-scope group.
        public var source: [UInt8]
        public var interfaceIndex: Int
        public var dhtPort: UInt16
    }

    public var interface: String
    public var ipv4: IPv4?
    public var ipv6: IPv6?
    /// Why a family that was asked for by default does not run (one sentence each).
    public var skipped: [String]

    /// - Parameters:
    ///   - given: the address the operator named the interface by, if any: it is used for its own family.
    ///   - listening: the DHT node's bound sockets (all-zero IP for a wildcard).
    public static func make(
        families: LANFamilies,
        interface: LANInterface,
        given: [UInt8]? = nil,
        listening: [TransportAddress]
    ) throws(LANDiscoveryError) -> LANDiscoveryPlan {
        guard interface.multicast else {
            throw LANDiscoveryError("no LAN discovery on \(interface.name): the interface does not support multicast")
        }
        var plan = LANDiscoveryPlan(interface: interface.name, ipv4: nil, ipv6: nil, skipped: [])
        var reasons: [String] = []
        if families != .ipv6 {
            switch ipv4(interface: interface, given: given, listening: listening) {
            case .success(let v4): plan.ipv4 = v4
            case .failure(let reason): reasons.append(reason.description)
            }
        }
        if families != .ipv4 {
            switch ipv6(interface: interface, given: given, listening: listening) {
            case .success(let v6): plan.ipv6 = v6
            case .failure(let reason): reasons.append(reason.description)
            }
        }
        guard plan.ipv4 != nil || plan.ipv6 != nil else {
            throw LANDiscoveryError("no LAN discovery on \(interface.name): " + reasons.joined(separator: "; "))
        }
        plan.skipped = reasons
        return plan
    }

    static func ipv4(
        interface: LANInterface,
        given: [UInt8]?,
        listening: [TransportAddress]
    ) -> Result<IPv4, LANDiscoveryError> {
        let own = interface.addresses.filter { $0.count == 4 }
        guard let socket = socket(in: listening.filter(\.isIPv4), on: own) else {
            return .failure(LANDiscoveryError("IPv4: the DHT node has no IPv4 socket"))
        }
        guard !own.isEmpty else {
            return .failure(LANDiscoveryError("IPv4: interface \(interface.name) has no IPv4 address"))
        }
        let address: [UInt8]
        if !socket.ip.bytes.allSatisfy({ $0 == 0 }) {
            guard own.contains(socket.ip.bytes) else {
                return .failure(Self.elsewhere(socket, interface))
            }
            address = socket.ip.bytes
        } else if let given, given.count == 4, own.contains(given) {
            address = given
        } else {
            address = own[0]
        }
        return .success(IPv4(interfaceAddress: address, dhtPort: socket.port))
    }

    static func ipv6(
        interface: LANInterface,
        given: [UInt8]?,
        listening: [TransportAddress]
    ) -> Result<IPv6, LANDiscoveryError> {
        let all = interface.addresses.filter { $0.count == 16 }
        let usable = all.filter { !LANAnnouncementGate.isLinkLocal($0) }
        guard let socket = socket(in: listening.filter { !$0.isIPv4 }, on: usable) else {
            return .failure(LANDiscoveryError("IPv6: the DHT node has no IPv6 socket (listen on [::]:PORT too)"))
        }
        guard !usable.isEmpty else {
            let why =
                all.isEmpty
                ? "has no IPv6 address"
                : "has only link-local IPv6 addresses (a DHT address carries no scope: give it a global or "
                    + "unique-local address)"
            return .failure(LANDiscoveryError("IPv6: interface \(interface.name) \(why)"))
        }
        let source: [UInt8]
        if !socket.ip.bytes.allSatisfy({ $0 == 0 }) {
            guard usable.contains(socket.ip.bytes) else { return .failure(Self.elsewhere(socket, interface)) }
            source = socket.ip.bytes
        } else if let given, usable.contains(given) {
            source = given
        } else {
            // Global unicast (2000::/3) first: the address travels on in the DHT; then unique-local (fc00::/7).
            source = usable.min { rank($0) < rank($1) } ?? usable[0]
        }
        return .success(IPv6(source: source, interfaceIndex: interface.index, dhtPort: socket.port))
    }

    /// Of the DHT node's sockets of one family, a wildcard or one bound to an address of the interface, else the
    /// first (which the caller then refuses as bound elsewhere).
    static func socket(in sockets: [TransportAddress], on addresses: [[UInt8]]) -> TransportAddress? {
        sockets.first { $0.ip.bytes.allSatisfy { $0 == 0 } || addresses.contains($0.ip.bytes) } ?? sockets.first
    }

    static func rank(_ ip: [UInt8]) -> Int {
        if ip[0] & 0xE0 == 0x20 { return 0 }
        if ip[0] & 0xFE == 0xFC { return 1 }
        return 2
    }

    static func elsewhere(_ socket: TransportAddress, _ interface: LANInterface) -> LANDiscoveryError {
        let family = socket.isIPv4 ? "IPv4" : "IPv6"
        return LANDiscoveryError(
            "\(family): the DHT node's \(family) socket is bound to \(socket), which is not an address of "
                + "interface \(interface.name), so neighbours could not ping it"
        )
    }
}

/// Which families `--lan` runs on: both by default.
public enum LANFamilies: String, Hashable, Sendable, CaseIterable {
    case both
    case ipv4
    case ipv6
}

/// One network interface as LAN discovery sees it: its name, index and addresses (4 or 16 bytes each).
public struct LANInterface: Hashable, Sendable {
    public var name: String
    public var index: Int
    public var addresses: [[UInt8]]
    /// Whether the interface can send and receive multicast (loopback cannot).
    public var multicast: Bool

    public init(name: String, index: Int, addresses: [[UInt8]], multicast: Bool = true) {
        self.name = name
        self.index = index
        self.addresses = addresses
        self.multicast = multicast
    }

    /// The interface that owns `address`, or the one called `name` (`spec` is what the operator wrote, for errors).
    public static func find(
        address: [UInt8]?,
        name: String?,
        spec: String,
        in interfaces: [LANInterface]
    ) throws(LANDiscoveryError) -> LANInterface {
        if let name {
            guard let found = interfaces.first(where: { $0.name == name }) else {
                throw LANDiscoveryError("no interface is called \(name)")
            }
            if let address, !found.addresses.contains(address) {
                throw LANDiscoveryError("interface \(name) does not have the address in \(spec)")
            }
            return found
        }
        guard let address, let found = interfaces.first(where: { $0.addresses.contains(address) }) else {
            throw LANDiscoveryError("no interface has the address \(spec)")
        }
        return found
    }
}

/// Why LAN discovery cannot run as asked.
public struct LANDiscoveryError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
