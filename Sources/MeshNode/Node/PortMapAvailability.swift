import ICE
import ICEDriver
import MeshCore
import NIOCore

/// A port mapping held for one path attempt: its own mapper renews it until the attempt ends.
struct PortMapLease: Sendable {
    let mapper: PortMapper
    let mapping: PortMapping

    /// Deletes the mapping on the gateway and stops renewing it.
    func release() async {
        await mapper.unmap(mapping)
        await mapper.shutdown()
    }
}

/// Whether this node's gateway maps ports, learnt by trying (PCP, then NAT-PMP, then UPnP IGD). A path attempt asks
/// for a mapping of its ICE socket before it offers, and the offer waits at most `budget`: on a network without a
/// mapping gateway (most servers, every loopback mesh) one failed try turns mapping off for `retryAfter`, so the
/// attempts in between offer at once. Once a method worked, only that one is asked.
///
/// A mapped candidate matters where a NAT would otherwise filter or re-map: behind a UPnP gateway a symmetric peer
/// reaches us at the mapped port directly instead of by port prediction (docs/netlab-agents.md).
actor PortMapAvailability {
    enum State: Sendable, Equatable {
        case unknown
        case works(PortMapMethod)
        case absent(until: ContinuousClock.Instant)
    }

    let group: any EventLoopGroup
    let budget: Duration
    let retryAfter: Duration
    private(set) var state = State.unknown

    init(group: any EventLoopGroup, budget: Duration = .milliseconds(1_500), retryAfter: Duration = .seconds(600)) {
        self.group = group
        self.budget = budget
        self.retryAfter = retryAfter
    }

    /// A mapping of `base` for one attempt, or why there is none (the gateway refused, did not answer within the
    /// budget, or was found absent recently).
    func map(_ base: TransportAddress, lease: Duration) async -> Result<PortMapLease, PortMapRefusal> {
        let methods: [PortMapMethod]
        switch state {
        case .absent(let until) where ContinuousClock.now < until:
            return .failure(PortMapRefusal("no mapping gateway (tried recently)"))
        case .works(let method): methods = [method]
        case .unknown, .absent: methods = PortMapMethod.allCases
        }
        let mapper = PortMapper(group: group)
        let work = Task { try await mapper.map(base, lease: lease, methods: methods) }
        switch await Self.race(work, within: budget) {
        case .finished(.success(let mapping)):
            state = .works(PortMapMethod(rawValue: mapping.method) ?? .upnpIGD)
            mapper.keepRenewed(mapping)
            return .success(PortMapLease(mapper: mapper, mapping: mapping))
        case .finished(.failure(let error)):
            state = .absent(until: .now + retryAfter)
            await mapper.shutdown()
            return .failure(PortMapRefusal("\(error)"))
        case .timedOut:
            state = .absent(until: .now + retryAfter)
            // UPnP discovery cannot be cancelled (a blocking miniupnpc call on a pool thread): a mapping that
            // arrives after the budget is deleted at once instead of sitting on the gateway for its lease.
            Task {
                if case .success(let late) = await work.result { await mapper.unmap(late) }
                await mapper.shutdown()
            }
            return .failure(PortMapRefusal("no answer from a mapping gateway within \(budget)"))
        }
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
