import Kademlia
import MeshCore

/// A deterministic network of Kademlia cores on a virtual clock (design rule 9, second layer).
///
/// Every datagram is really encoded, signed (or tagged, between nodes that have met: decision 0124), delayed by
/// the seeded `LatencyModel`, possibly lost, and decoded and verified by its receiver. Nodes can go offline (churn) and some can be malicious (`Malice`). One seed
/// gives one run, bit for bit.
public final class Simulator {
    public struct Node {
        public let signingKey: Ed25519.PrivateKey
        public let address: TransportAddress
        /// Replaced by `restart(_:)` when the node's process starts afresh (a new node joining the network).
        public fileprivate(set) var core: KademliaNode
        public var online = true
        public var malice: Malice?
        var scheduledTimer = Int64.max
    }

    enum Event {
        /// `ticket`: the datagram's signature verdict, being computed on another core (`SignatureVerdicts`).
        case deliver(to: Int, from: TransportAddress, bytes: [UInt8], ticket: Int?)
        case timer(Int)
    }

    public private(set) var nodes: [Node] = []
    public private(set) var now: Timestamp
    public var latency: LatencyModel
    /// Called for every event any node emits.
    public var eventHandler: ((Int, KademliaEvent) -> Void)?
    /// Agent-record keys of genuine publishers, so forgers can claim real DIDs.
    public var genuineDIDs: [NodeID: String] = [:]
    public private(set) var datagramsDelivered = 0
    public private(set) var datagramsLost = 0

    var random: SeededRandom
    var queue = EventQueue<Event>()
    var byAddress: [TransportAddress: Int] = [:]
    private(set) var maliciousIndices: [Int] = []
    /// The malicious nodes by ID (their keys and IDs never change, a restart included), for `eclipseContacts`.
    private(set) var colluders = ColluderIndex([])
    let verdicts: SignatureVerdicts
    private let delivery: DeliveryTicket

    /// Creates `count` nodes; a `maliciousFraction` of them (chosen by the seed) misbehave in turn as each of `kinds`.
    /// `verifyingThreads` check signatures of datagrams in flight ahead of their delivery (`SignatureVerdicts`);
    /// the run is the same with any number, 0 included.
    public init(
        count: Int,
        seed: UInt64,
        config: KademliaConfig = KademliaConfig(),
        latency: LatencyModel = LatencyModel(),
        maliciousFraction: Double = 0,
        malice kinds: [Malice] = Malice.allCases,
        start: Timestamp = Timestamp(secondsSinceEpoch: 1_700_000_000),
        verifyingThreads: Int = 0
    ) {
        verdicts = SignatureVerdicts(workers: verifyingThreads)
        delivery = DeliveryTicket(verdicts: verdicts)
        random = SeededRandom(seed: seed)
        now = start
        Ed25519.rememberValidKeys(atLeast: count)
        self.latency = latency
        let malicious = Set((0..<count).shuffled(using: &random).prefix(Int(Double(count) * maliciousFraction)))
        nodes.reserveCapacity(count)
        for index in 0..<count {
            let signingKey = Ed25519.PrivateKey(using: &random)
            // 10.0.0.0/8, one address per node: private, so diversity limits do not apply.
            let address = TransportAddress(
                ip: [10, UInt8(index >> 16 & 0xFF), UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)],
                port: 4_000
            )!
            let core = KademliaNode(
                signingKey: signingKey,
                config: config,
                random: SeededRandom(seedBytes: random.bytes(count: 32)),
                now: start
            )
            adopt(core)
            var node = Node(signingKey: signingKey, address: address, core: core)
            if malicious.contains(index) {
                node.malice = kinds[maliciousIndices.count % kinds.count]
                maliciousIndices.append(index)
            }
            nodes.append(node)
            byAddress[address] = index
        }
        colluders = ColluderIndex(maliciousIndices.map { (nodes[$0].core.localID, $0) })
    }

    deinit {
        verdicts.stop()
    }

    /// One verifying thread per core beyond the simulator's own, and at least one (the simulator's thread verifies
    /// a queued datagram itself when it gets there first).
    public static var defaultVerifyingThreads: Int { SignatureVerdicts.defaultWorkers }

    /// Points a new core's signature check at the verdicts computed ahead, when there are workers.
    private func adopt(_ core: KademliaNode) {
        guard verdicts.workers > 0 else { return }
        core.signatureCheck = { [delivery] message in delivery.check(message) }
    }

    public func contact(of index: Int) -> Contact {
        Contact(id: nodes[index].core.localID, address: nodes[index].address)
    }

    public var honestIndices: [Int] { nodes.indices.filter { nodes[$0].malice == nil } }

    /// Starts node `index`'s process afresh at the current instant: a new core with the same key and address, an
    /// empty table and store, and timers (bucket refresh, token rotation) counted from now, as a real node that
    /// starts now would have. Used for nodes that join the network at different times.
    public func restart(_ index: Int) {
        let old = nodes[index].core
        nodes[index].core = KademliaNode(
            signingKey: nodes[index].signingKey,
            config: old.config,
            random: SeededRandom(seedBytes: random.bytes(count: 32)),
            now: now
        )
        adopt(nodes[index].core)
        nodes[index].scheduledTimer = .max
        if nodes[index].online { flush(index) }
    }

    /// Runs `body` against node `index`'s core at the current instant, then collects its outputs.
    @discardableResult
    public func interact<T>(_ index: Int, _ body: (KademliaNode, Timestamp) -> T) -> T {
        let result = body(nodes[index].core, now)
        flush(index)
        return result
    }

    public func setOnline(_ index: Int, _ online: Bool) {
        nodes[index].online = online
        if online { flush(index) }
    }

    /// Processes events until `condition` is false or virtual time would pass `deadline`.
    public func run(while condition: () -> Bool = { true }, until deadline: Timestamp) {
        while condition(), let time = queue.nextTime, time <= deadline.nanosecondsSinceEpoch {
            guard let entry = queue.pop() else { break }
            now = Timestamp(nanosecondsSinceEpoch: entry.time)
            switch entry.payload {
            case .deliver(let target, let source, let bytes, let ticket):
                deliver(bytes, to: target, from: source, ticket: ticket)
            case .timer(let index): fireTimer(index, at: entry.time)
            }
        }
        if condition() { now = max(now, deadline) }
    }

    private func deliver(_ bytes: [UInt8], to index: Int, from source: TransportAddress, ticket: Int?) {
        guard nodes[index].online else {
            if let ticket { verdicts.discard(ticket) }
            return
        }
        datagramsDelivered += 1
        // A malicious node answers requests its own way; replies to its own requests (it joins and refreshes
        // like anyone, so that honest nodes verify it and keep it in their tables) go to its core.
        if let malice = nodes[index].malice,
            let request = try? DHTDatagram.decode(bytes, maximumSize: 65_536),
            request.message.isRequest
        {
            if let ticket { verdicts.discard(ticket) }
            guard let reply = maliciousReply(request, malice: malice, node: index) else { return }
            let signed = SignedMessage.signed(
                reply,
                transactionID: request.transactionID,
                by: nodes[index].signingKey,
                now: now
            )
            send(signed.datagram(), from: nodes[index].address, to: source)
            return
        }
        if let ticket { delivery.current = (ticket, bytes) }
        nodes[index].core.handleDatagram(bytes, from: source, now: now)
        delivery.finish()
        flush(index)
    }

    private func fireTimer(_ index: Int, at time: Int64) {
        guard nodes[index].scheduledTimer == time else { return }  // superseded
        nodes[index].scheduledTimer = .max
        guard nodes[index].online else { return }
        nodes[index].core.handleTimeout(now: now)
        flush(index)
    }

    /// Sends the node's datagrams into the network, hands its events out, and re-arms its timer.
    private func flush(_ index: Int) {
        let core = nodes[index].core
        for transmit in core.drainTransmits() {
            send(transmit.bytes, from: nodes[index].address, to: transmit.destination)
        }
        while let event = core.pollEvent() { eventHandler?(index, event) }
        let next = core.pollTimeout().nanosecondsSinceEpoch
        if next < nodes[index].scheduledTimer || nodes[index].scheduledTimer < now.nanosecondsSinceEpoch {
            nodes[index].scheduledTimer = max(next, now.nanosecondsSinceEpoch)
            queue.push(.timer(index), at: nodes[index].scheduledTimer)
        }
    }

    private func send(_ bytes: [UInt8], from source: TransportAddress, to destination: TransportAddress) {
        guard let target = byAddress[destination], let delay = latency.sample(using: &random) else {
            datagramsLost += 1
            return
        }
        // A malicious node answers requests without checking them; the replies to its own few requests are checked
        // by its core as they arrive. A tagged datagram has no signature to verify ahead: its tag costs the
        // receiver about a microsecond.
        let ticket = nodes[target].malice == nil && !DHTDatagram.isTagged(bytes) ? verdicts.submit(bytes) : nil
        queue.push(
            .deliver(to: target, from: source, bytes: bytes, ticket: ticket),
            at: now.nanosecondsSinceEpoch + delay
        )
    }
}
