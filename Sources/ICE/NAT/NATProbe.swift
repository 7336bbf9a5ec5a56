import MeshCore

/// Sans-IO NAT behaviour discovery from one local socket (RFC 5780 §4.3-4.4, simplified):
/// 1. a Binding request to every server: agreement of the mapped addresses tells the mapping behaviour;
/// 2. to the first server that advertises OTHER-ADDRESS, CHANGE-REQUEST(address+port) and CHANGE-REQUEST(port):
///    which answers get through tells the filtering behaviour.
/// Each request is retransmitted at 250, 500, 1000 ms and gives up 2.5 s after it was first sent.
public struct NATProbe<Random: RandomSource>: Sendable {
    enum Test: Hashable, Sendable {
        case mapping(Int)
        case changeBoth
        case changePort
        /// A request to our own public address: if it comes back to us, the NAT hairpins.
        case hairpin
    }

    struct Pending: Sendable {
        var test: Test
        var id: [UInt8]
        var to: TransportAddress
        var bytes: [UInt8]
        var sent: Timestamp
        var next: Timestamp
        var interval: Duration
    }

    public static var maximumServers: Int { 8 }
    let giveUpAfter: Duration = .milliseconds(2_500)

    public let servers: [TransportAddress]
    var random: Random
    var pending: [Pending] = []
    var outbox: [(TransportAddress, [UInt8])] = []
    var mapped: [Int: (TransportAddress, Duration)] = [:]
    var otherAddress: (server: Int, supported: Bool)?
    var answered: Set<Test> = []
    var filteringStarted = false
    var hairpinStarted = false
    /// True once our own request to our public address arrived back; nil when not tested.
    public private(set) var hairpinning: Bool?

    /// False for candidate gathering, which needs only the mapped addresses.
    let measureFiltering: Bool

    public init(servers: [TransportAddress], random: Random, measureFiltering: Bool = true) {
        self.servers = Array(servers.prefix(Self.maximumServers))
        self.random = random
        self.measureFiltering = measureFiltering
    }

    /// The distinct mapped addresses learned so far (server-reflexive candidates).
    public var mappedAddresses: [TransportAddress] {
        var seen: [TransportAddress] = []
        for index in servers.indices { if let a = mapped[index]?.0, !seen.contains(a) { seen.append(a) } }
        return seen
    }

    public mutating func start(now: Timestamp) {
        for index in servers.indices { send(.mapping(index), to: servers[index], change: nil, now: now) }
    }

    public var isFinished: Bool { pending.isEmpty && outbox.isEmpty }

    public mutating func pollTransmit() -> (to: TransportAddress, bytes: [UInt8])? {
        outbox.isEmpty ? nil : outbox.removeFirst()
    }

    public func pollTimeout() -> Timestamp? { pending.map(\.next).min() }

    /// True when the datagram answered one of our requests.
    public mutating func handleInput(_ bytes: [UInt8], from: TransportAddress, now: Timestamp) -> Bool {
        guard let decoded = try? STUNMessage.decode(bytes),
            let index = pending.firstIndex(where: { $0.id == decoded.message.transactionID })
        else { return false }
        if decoded.message.messageClass == .request {
            guard case .hairpin = pending[index].test else { return false }
            pending.remove(at: index)
            hairpinning = true
            return true
        }
        let request = pending.remove(at: index)
        let response = decoded.message
        switch request.test {
        case .mapping(let server):
            if let address = response.xorMappedAddress ?? response.mappedAddress {
                mapped[server] = (address, now - request.sent)
            }
            if otherAddress == nil || otherAddress?.supported == false {
                let supported = response.attributes.contains { $0.type == STUNResponder.otherAddressType }
                if supported || otherAddress == nil { otherAddress = (server, supported) }
            }
        case .changeBoth, .changePort:
            if response.messageClass == .successResponse { answered.insert(request.test) }
        case .hairpin:
            hairpinning = true
        }
        startFilteringIfReady(now: now)
        return true
    }

    public mutating func handleTimeout(now: Timestamp) {
        for index in pending.indices.reversed() where pending[index].next <= now {
            if now - pending[index].sent >= giveUpAfter {
                if case .hairpin = pending[index].test { hairpinning = false }
                pending.remove(at: index)
                continue
            }
            pending[index].interval = pending[index].interval * 2
            pending[index].next = min(now + pending[index].interval, pending[index].sent + giveUpAfter)
            outbox.append((pending[index].to, pending[index].bytes))
        }
        startFilteringIfReady(now: now)
    }

    /// Filtering and hairpin tests start once every mapping test has finished; filtering needs a server that has an
    /// alternate, hairpinning a public address.
    mutating func startFilteringIfReady(now: Timestamp) {
        guard measureFiltering, !pending.contains(where: { if case .mapping = $0.test { true } else { false } }) else {
            return
        }
        if !hairpinStarted, let publicAddress = servers.indices.compactMap({ mapped[$0]?.0 }).first {
            hairpinStarted = true
            send(.hairpin, to: publicAddress, change: nil, now: now)
        }
        guard !filteringStarted, let other = otherAddress, other.supported else { return }
        filteringStarted = true
        send(.changeBoth, to: servers[other.server], change: 0x6, now: now)
        send(.changePort, to: servers[other.server], change: 0x2, now: now)
    }

    mutating func send(_ test: Test, to server: TransportAddress, change: UInt32?, now: Timestamp) {
        let id = random.bytes(count: 12)
        var attributes: [STUNAttribute] = []
        if let flags = change {
            attributes.append(.other(type: STUNResponder.changeRequestType, value: [0, 0, 0, UInt8(flags)]))
        }
        if case .mapping = test {
            // A responder answers with OTHER-ADDRESS only to a request at least that large (its amplification
            // bound), so the mapping tests, which look for it, pay for it with a comprehension-optional attribute.
            attributes.append(.software(STUNResponder.otherAddressPadding))
        }
        let bytes = STUNMessage(.request, transactionID: id, attributes: attributes).encoded(fingerprint: true)
        let first: Duration = .milliseconds(250)
        pending.append(
            Pending(test: test, id: id, to: server, bytes: bytes, sent: now, next: now + first, interval: first)
        )
        outbox.append((server, bytes))
    }

    /// The verdict, given the local socket's addresses (to recognise "no NAT").
    public func report(localAddresses: [TransportAddress]) -> NATReport {
        let results = servers.indices.map { index in
            NATReport.ServerResult(
                server: servers[index].description,
                mapped: mapped[index]?.0.description,
                rttMilliseconds: mapped[index].map { $0.1.milliseconds }
            )
        }
        let addresses = servers.indices.compactMap { mapped[$0]?.0 }
        var filtering = NATFiltering.unknown
        if filteringStarted {
            filtering =
                answered.contains(.changeBoth)
                ? .endpointIndependent : answered.contains(.changePort) ? .addressDependent : .addressAndPortDependent
        }
        return NATReport(
            udp: !addresses.isEmpty,
            natClass: NATClass.classify(localAddresses: localAddresses, mapped: addresses, filtering: filtering),
            certainty: NATCertainty.of(answered: addresses.count),
            publicAddress: addresses.first?.description,
            mappingVariesByDestination: addresses.count >= 2 ? Set(addresses).count > 1 : nil,
            filtering: filtering,
            servers: results,
            portMapping: nil,
            portMappedAddress: nil,
            portMappingError: nil,
            hairpinning: hairpinning
        )
    }
}
