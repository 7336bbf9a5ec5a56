import MeshCore

@testable import ICE

/// A NAT in the deterministic simulator, modelled on RFC 4787 behaviours (and the lab's nftables routers).
struct SimNAT {
    enum Kind: String, CaseIterable {
        case open
        case fullCone = "full-cone"
        case restrictedCone = "restricted-cone"
        case portRestricted = "port-restricted"
        case symmetric
        case udpBlocked = "udp-blocked"
    }

    let kind: Kind
    let publicIP: IPAddress
    var nextPort: UInt16 = 40_000
    /// (internal, destination or nil for endpoint-independent) -> external port.
    var mappings: [String: UInt16] = [:]
    var reverse: [UInt16: TransportAddress] = [:]
    /// Remote endpoints each external port has sent to (for filtering).
    var contacted: [UInt16: Set<TransportAddress>] = [:]
    /// When set, new mappings get uniformly random ports of 1024-65535 (Linux `masquerade fully-random`, as in
    /// the lab) instead of sequential ones.
    var portRandom: SeededRandom?

    init(kind: Kind, publicIP: IPAddress) {
        self.kind = kind
        self.publicIP = publicIP
    }

    /// The source the outside world sees, or nil when the NAT drops the packet.
    mutating func outbound(from source: TransportAddress, to destination: TransportAddress) -> TransportAddress? {
        switch kind {
        case .open: return source
        case .udpBlocked: return nil
        default: break
        }
        let key = kind == .symmetric ? "\(source)>\(destination)" : "\(source)"
        let port = mappings[key] ?? allocate(key, for: source)
        contacted[port, default: []].insert(destination)
        return TransportAddress(ip: publicIP, port: port)
    }

    /// The internal destination for a packet arriving at our public address, or nil when filtered.
    func inbound(from source: TransportAddress, to destination: TransportAddress) -> TransportAddress? {
        switch kind {
        case .open: return destination
        case .udpBlocked: return nil
        default: break
        }
        guard destination.ip == publicIP, let inside = reverse[destination.port] else { return nil }
        let seen = contacted[destination.port] ?? []
        switch kind {
        case .fullCone: return inside
        case .restrictedCone: return seen.contains { $0.ip == source.ip } ? inside : nil
        default: return seen.contains(source) ? inside : nil
        }
    }

    private mutating func allocate(_ key: String, for source: TransportAddress) -> UInt16 {
        if var random = portRandom {
            var port = UInt16.random(in: 1_024...65_535, using: &random)
            while reverse[port] != nil { port = UInt16.random(in: 1_024...65_535, using: &random) }
            portRandom = random
            nextPort = port - 1
        }
        nextPort += 1
        mappings[key] = nextPort
        reverse[nextPort] = source
        return nextPort
    }
}

/// Two agents behind simulated NATs, with seeded loss, on a virtual clock. Each gathers a host candidate and a
/// server-reflexive one (the mapping its NAT gives towards a STUN server), as the driver does.
struct NATPairSimulation {
    typealias Agent = ICEAgent<SeededRandom>
    var agents: [Agent]
    var nats: [SimNAT]
    var hosts: [TransportAddress]
    var events: [[ICEEvent]] = [[], []]
    var now = Timestamp(secondsSinceEpoch: 1_000)
    var loss: Double
    var random: SeededRandom
    var inFlight: [(at: Timestamp, from: TransportAddress, to: TransportAddress, bytes: [UInt8])] = []

    /// Prediction sockets each side's driver opened and later closed (for the port-prediction tests).
    var predictionSockets: [[TransportAddress]] = [[], []]
    var closedSockets: [[TransportAddress]] = [[], []]

    init(
        _ a: SimNAT.Kind,
        _ b: SimNAT.Kind,
        loss: Double,
        seed: UInt64,
        hints: [ICENATHint?] = [nil, nil],
        config: ICEAgentConfig = ICEAgentConfig(),
        randomPortsForA: Bool = false,
        hintsInDescriptions: Bool = true
    ) {
        agents = [
            Agent(role: .controlling, config: config, random: SeededRandom(seed: seed)),
            Agent(role: .controlled, config: config, random: SeededRandom(seed: seed + 1)),
        ]
        if hintsInDescriptions { for side in 0..<2 { agents[side].setLocalNAT(hints[side]) } }
        let publics = [IPAddress("203.0.113.20")!, IPAddress("203.0.113.30")!]
        hosts = [
            TransportAddress(ip: a == .open ? publics[0] : IPAddress("192.0.2.2")!, port: 5000),
            TransportAddress(ip: b == .open ? publics[1] : IPAddress("198.51.100.2")!, port: 5000),
        ]
        nats = [SimNAT(kind: a, publicIP: publics[0]), SimNAT(kind: b, publicIP: publics[1])]
        if randomPortsForA { nats[0].portRandom = SeededRandom(seed: seed + 3) }
        self.loss = loss
        random = SeededRandom(seed: seed + 2)
        let stun = TransportAddress("203.0.113.1:3478")!
        for side in 0..<2 {
            agents[side].addLocalCandidate(Candidate(kind: .host, address: hosts[side]), now: now)
            if let mapped = nats[side].outbound(from: hosts[side], to: stun), mapped != hosts[side] {
                let srflx = Candidate(
                    kind: .serverReflexive,
                    address: mapped,
                    base: hosts[side],
                    relatedAddress: hosts[side]
                )
                agents[side].addLocalCandidate(srflx, now: now)
            }
        }
        let offer = agents[0].localDescription(endOfCandidates: true)
        let answer = agents[1].localDescription(endOfCandidates: true)
        agents[1].setRemote(offer, now: now)
        agents[0].setRemote(answer, now: now)
        // A trickling driver learns its NAT only when gathering ends, after the description went.
        if !hintsInDescriptions { for side in 0..<2 { agents[side].setLocalNAT(hints[side]) } }
    }

    /// Runs until both selected, one failed, or `limit` of virtual time; returns A's time to selection.
    mutating func run(limit: Duration = .seconds(20)) -> Duration? {
        let end = now + limit
        for _ in 0..<200_000 {
            drain()
            if selection(0) != nil, selection(1) != nil { break }
            let next = (agents.compactMap { $0.pollTimeout() } + inFlight.map(\.at)).min()
            guard let next, next <= end else { break }
            now = max(now, next)
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for packet in due { deliver(packet) }
            for side in 0..<2 { agents[side].handleTimeout(now: now) }
        }
        return selection(0)
    }

    func selection(_ side: Int) -> Duration? {
        for case .selected(_, _, let elapsed) in events[side] { return elapsed }
        return nil
    }

    mutating func drain() {
        for side in 0..<2 {
            // The driver's part of port prediction: "bind" sockets on the host address, close them when told.
            while let request = agents[side].pollPortPrediction() {
                switch request {
                case .openSockets(let count, let ip):
                    for k in 0..<count {
                        let socket = TransportAddress(ip: ip, port: UInt16(20_000 + k))
                        if agents[side].addPredictionSocket(socket, now: now) { predictionSockets[side].append(socket) }
                    }
                case .closeSockets(let list):
                    closedSockets[side] += list
                }
            }
            while let t = agents[side].pollTransmit() {
                guard Double(random.next() % 10_000) / 10_000 >= loss,
                    let source = nats[side].outbound(from: t.from, to: t.to)
                else { continue }
                inFlight.append((now + .milliseconds(15), source, t.to, t.bytes))
            }
            while let e = agents[side].pollEvent() { events[side].append(e) }
        }
    }

    mutating func deliver(_ packet: (at: Timestamp, from: TransportAddress, to: TransportAddress, bytes: [UInt8])) {
        for side in 0..<2 where packet.to.ip == nats[side].publicIP || packet.to == hosts[side] {
            guard let inside = nats[side].inbound(from: packet.from, to: packet.to) else { return }
            _ = agents[side].handleInput(packet.bytes, from: packet.from, to: inside, now: now)
        }
    }
}
