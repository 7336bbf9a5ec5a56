import ICE
import ICEDriver
import Logging
import MeshCore
import NIOCore

/// A port mapping held for one path attempt: its own mapper renews it until the attempt ends.
struct PortMapLease: Sendable {
    let mapper: PortMapper
    let mapping: PortMapping
    /// Where a deletion the gateway did not confirm is said.
    let logger: Logger
    /// How long the gateway took to grant it (logged).
    var elapsed: Duration = .zero

    /// Deletes the mapping on the gateway and stops renewing it. A deletion the gateway does not confirm is
    /// logged: the mapping then stays on the gateway until its lease ends.
    func release() async {
        PortMapAvailability.report(await mapper.unmap(mapping), of: mapping, logger: logger)
        await mapper.shutdown()
    }
}

/// Asks the gateway for port mappings as `PortMapPolicy` decides (PCP, then NAT-PMP, then UPnP IGD, or the one
/// that worked), and reports back what happened. The node probes once at start (`startProbe`), so the first attempt
/// already knows; an attempt asks for a mapping of its ICE socket while it gathers, and the offer waits for the
/// mapping at most `budget`.
///
/// A mapped candidate matters where a NAT would otherwise filter or re-map: behind a UPnP gateway a symmetric peer
/// reaches us at the mapped port directly instead of by port prediction (docs/netlab-agents.md).
actor PortMapAvailability {
    let group: any EventLoopGroup
    let budget: Duration
    let clock: any MeshClock
    private(set) var policy: PortMapPolicy
    /// How long an attempt waits for its mapping after gathering (`PortMapPolicy.patience`).
    var patience: Duration { policy.patience(budget: budget) }
    private var probing: Task<Void, Never>?

    let logger: Logger

    init(
        group: any EventLoopGroup,
        budget: Duration = .milliseconds(1_500),
        retryAfter: Duration = .seconds(600),
        clock: any MeshClock = SystemClock(),
        logger: Logger = Logger(label: "meshpeer.portmap")
    ) {
        self.logger = logger
        self.group = group
        self.budget = budget
        self.clock = clock
        self.policy = PortMapPolicy(retryAfter: retryAfter)
    }

    /// A mapping of `base` for one attempt, or why there is none (the gateway refused, did not answer within the
    /// budget, or was found absent recently).
    func map(_ base: TransportAddress, lease: Duration) async -> Result<PortMapLease, PortMapRefusal> {
        var decision = policy.decide(now: clock.now())
        if decision == .waitForProbe, let probing {
            // The start-up probe is still out: wait for its verdict (bounded) rather than ask the gateway twice.
            _ = await Self.race(Task { () async throws in await probing.value }, within: budget)
            decision = policy.decide(now: clock.now())
        }
        let methods: [PortMapMethod]
        switch decision {
        case .waitForProbe: return .failure(PortMapRefusal("the gateway probe has no answer yet"))
        case .refuse(let reason): return .failure(PortMapRefusal(reason))
        case .ask(let list): methods = list
        }
        let mapper = PortMapper(group: group)
        let asked = ContinuousClock.now
        let work = Task { try await mapper.map(base, lease: lease, methods: methods) }
        switch await Self.race(work, within: budget) {
        case .finished(.success(let mapping)):
            policy.granted(by: PortMapMethod(rawValue: mapping.method) ?? .upnpIGD)
            mapper.keepRenewed(mapping)
            return .success(PortMapLease(mapper: mapper, mapping: mapping, logger: logger, elapsed: .now - asked))
        case .finished(.failure(let error)):
            policy.failed(now: clock.now())
            await mapper.shutdown()
            return .failure(PortMapRefusal("\(error)"))
        case .timedOut:
            policy.failed(now: clock.now())
            // UPnP discovery cannot be cancelled (a blocking miniupnpc call on a pool thread): a mapping that
            // arrives after the budget is deleted at once instead of sitting on the gateway for its lease.
            Task { [logger] in
                if case .success(let late) = await work.result {
                    Self.report(await mapper.unmap(late), of: late, logger: logger)
                }
                await mapper.shutdown()
            }
            return .failure(PortMapRefusal("no answer from a mapping gateway within \(budget)"))
        }
    }

    /// Learns once, at start, whether the gateway maps. With `keep` (the node's DHT port) the probe is the node's
    /// own mapping, held for the node's life (decision 0111); without, it maps a port no socket of ours holds and
    /// deletes it at once: gateways answer for any internal port, and what is learnt is only whether and by which
    /// method.
    nonisolated func startProbe(from host: IPAddress, keep port: UInt16? = nil) {
        Task { await self.probe(from: host, keep: port) }
    }

    func probe(from host: IPAddress, keep kept: UInt16? = nil) async {
        guard policy.startProbe() else { return }
        let port = kept ?? UInt16.random(in: 49_152...65_535)
        let lease = kept == nil ? Duration.seconds(60) : Self.nodeLease
        probing = Task {
            let mapper = PortMapper(group: group)
            let work = Task { try await mapper.map(TransportAddress(ip: host, port: port), lease: lease) }
            // No attempt waits on the probe's own clock: it may take UPnP's few seconds of discovery.
            switch await Self.race(work, within: budget * 4) {
            case .finished(.success(let mapping)):
                self.probeEnded(mapped: PortMapMethod(rawValue: mapping.method) ?? .upnpIGD)
                if kept != nil, !shuttingDown {
                    self.hold(mapping, mapper: mapper)
                    return
                }
                Self.report(await mapper.unmap(mapping), of: mapping, logger: self.logger)
            case .finished(.failure), .timedOut:
                self.probeEnded(mapped: nil)
                if case .success(let late) = await work.result {
                    Self.report(await mapper.unmap(late), of: late, logger: self.logger)
                }
            }
            await mapper.shutdown()
        }
    }

    private func probeEnded(mapped method: PortMapMethod?) {
        policy.probeEnded(mapped: method, now: clock.now())
    }

    // MARK: The node's own mapping (decision 0111)

    /// The node's mapping is asked for an hour and renewed at half of it.
    static let nodeLease = Duration.seconds(3_600)

    /// The mapping of the node's DHT port, its mapper (which renews it), and until when the gateway last confirmed
    /// it: a renewal that fails leaves the mapping to lapse at the end of its lease, and the hint with it.
    private var node: (lease: PortMapLease, confirmedUntil: Timestamp)?
    private var shuttingDown = false

    private func hold(_ mapping: PortMapping, mapper: PortMapper) {
        node = (PortMapLease(mapper: mapper, mapping: mapping, logger: logger), clock.now() + mapping.lease)
        mapper.keepRenewed(mapping) { [weak self] answer in await self?.renewed(answer) }
    }

    private func renewed(_ answer: Result<PortMapping, any Error>) {
        guard case .success(let mapping) = answer, let held = node else { return }
        node = (PortMapLease(mapper: held.lease.mapper, mapping: mapping, logger: logger), clock.now() + mapping.lease)
    }

    /// The node's DHT port as the gateway maps it, while the gateway's last answer still covers it.
    func nodeMapping() -> PortMapping? {
        guard let node, clock.now() < node.confirmedUntil else { return nil }
        return node.lease.mapping
    }

    /// Deletes the node's mapping on the gateway (at shutdown). A probe still out keeps nothing it gets later.
    func releaseNodeMapping() async {
        shuttingDown = true
        guard let held = node else { return }
        node = nil
        await held.lease.release()
    }

    /// Says a deletion the gateway did not confirm (the mapping lapses with its lease instead).
    static func report(_ outcome: PortMapDeletion, of mapping: PortMapping, logger: Logger) {
        guard case .failed(let reason) = outcome else { return }
        logger.notice(
            "port mapping not deleted; it lapses with its lease",
            metadata: [
                "method": "\(mapping.method)", "external-port": "\(mapping.externalPort)",
                "lease": "\(mapping.lease)", "reason": "\(reason)",
            ]
        )
    }

    enum Raced<Value: Sendable>: Sendable {
        case finished(Result<Value, any Error>)
        case timedOut
    }

    /// Waits for `work` at most `budget` without waiting for it to end (a task group would: it joins its children).
    static func race<Value: Sendable>(
        _ work: Task<Value, any Error>,
        within budget: Duration
    ) async -> Raced<Value> {
        let answered = LockedValue(false)
        return await withCheckedContinuation { continuation in
            @Sendable func answer(_ outcome: Raced<Value>) {
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: outcome) }
            }
            Task { answer(.finished(await work.result)) }
            Task {
                try? await Task.sleep(for: budget)
                answer(.timedOut)
            }
        }
    }
}

/// Why an attempt has no mapped candidate (logged at debug level: the common case on servers).
struct PortMapRefusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
