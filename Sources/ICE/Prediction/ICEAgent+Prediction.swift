import MeshCore

/// Port prediction (docs/ice.md, "Port prediction"; decision 0050): when our NAT maps per destination and the
/// peer's does not, we open many sockets towards the peer's public address and the peer probes random ports of
/// our NAT's public address; a probe that meets one of our mappings is an ordinary authenticated Binding request,
/// so it becomes a peer-reflexive candidate and a normal pair. Everything is metered by `PredictionPacer`.
extension ICEAgent {
    /// Our NAT's mapping behaviour as gathering measured it; it travels in `localDescription`.
    public mutating func setLocalNAT(_ hint: ICENATHint?) { prediction.localNAT = hint }

    /// The peer's NAT hint when it came after its description (a trickling peer learns it only when its gathering
    /// ends). Prediction that is still waiting plans with it; once begun or finished, nothing changes.
    public mutating func setRemoteNAT(_ hint: ICENATHint) {
        guard case .waiting = prediction.phase else { return }
        prediction.remoteNAT = hint
    }

    public var portPredictionStatus: PortPredictionStatus {
        var status = prediction.status
        if !config.portPrediction.enabled { status.role = .off }
        return status
    }

    /// The next thing the driver must do for prediction (open or close sockets); nil when nothing.
    public mutating func pollPortPrediction() -> PortPredictionRequest? {
        prediction.requests.isEmpty ? nil : prediction.requests.removeFirst()
    }

    /// A socket the driver bound for `.openSockets`. False when it is not wanted (any more): the driver closes it.
    public mutating func addPredictionSocket(_ base: TransportAddress, now: Timestamp) -> Bool {
        guard case .opening(var opener) = prediction.phase, opener.lingering, opener.adopted.isEmpty,
            opener.bases.count < opener.pacer.total, !opener.bases.contains(base), selected == nil,
            state == .checking
        else { return false }
        opener.bases.insert(base)
        opener.unopened.append(base)
        prediction.phase = .opening(opener)
        prediction.status.socketsOpened += 1
        advancePrediction(now: now)
        return true
    }

    /// The next instant prediction has work (for `pollTimeout`).
    var predictionDeadline: Timestamp? {
        switch prediction.phase {
        case .waiting:
            guard config.portPrediction.enabled, let start = startedAt, state == .checking,
                prediction.plannedRole != .none
            else { return nil }
            return start + config.portPrediction.startDelay
        case .opening(let opener):
            let next = opener.unopened.isEmpty ? nil : opener.pacer.deadline
            return [next, opener.lingering ? opener.closeAt : nil].compactMap { $0 }.min()
        case .probing(let prober):
            return prober.pacer.deadline ?? prober.pacer.end
        case .finished:
            return nil
        }
    }

    /// True while prediction may still produce a pair: the checklist must not fail before it had its chance.
    var predictionPending: Bool {
        switch prediction.phase {
        case .waiting: predictionDeadline != nil
        case .opening(let opener): opener.lingering
        case .probing: true
        case .finished: false
        }
    }

    /// Starts prediction when due, releases paced datagrams, and ends phases whose time is up.
    mutating func advancePrediction(now: Timestamp) {
        switch prediction.phase {
        case .waiting:
            guard let due = predictionDeadline, now >= due else { return }
            prediction.phase = .finished
            if selected == nil, firstValidAt == nil, state == .checking { beginPrediction(now: now) }
        case .opening(var opener):
            let count = opener.pacer.release(now: now, wanted: opener.unopened.count)
            for base in opener.unopened.prefix(count) { sendPredictionRequest(from: base, to: opener.target) }
            opener.unopened.removeFirst(count)
            prediction.status.packetsSent += count
            if opener.lingering, now >= opener.closeAt {
                // The peer's probing is over: keep only sockets a probe reached (a pair may use them).
                opener.lingering = false
                let unused = opener.bases.subtracting(opener.adopted)
                opener.bases = opener.adopted
                opener.unopened = []
                if !unused.isEmpty { prediction.requests.append(.closeSockets(unused.sorted())) }
            }
            prediction.phase = .opening(opener)
        case .probing(var prober):
            if now >= prober.pacer.end {
                prediction.phase = .finished
                return
            }
            let count = prober.pacer.release(now: now, wanted: .max)
            for _ in 0..<count {
                guard let port = prober.ports.next(using: &random) else { break }
                let id = sendPredictionRequest(from: prober.base, to: TransportAddress(ip: prober.ip, port: port))
                prober.probes[id] = port
            }
            prediction.status.packetsSent += count
            prediction.phase = .probing(prober)
        case .finished:
            break
        }
    }

    /// Chooses our side from the two hints and sets it up; nothing happens when an address is missing.
    mutating func beginPrediction(now: Timestamp) {
        let settings = config.portPrediction
        guard let host = localCandidates.first(where: { $0.kind == .host && $0.base.ip.isIPv4 })?.base else { return }
        let offset = settings.probeDelay - settings.startDelay
        switch prediction.plannedRole {
        case .opener:
            let publicIP = prediction.remoteNAT?.parsedPublicIP
            let onPublic = remoteCandidates.filter { $0.address.ip.isIPv4 && $0.address.ip == publicIP }
            guard let target = (onPublic.first { $0.kind == .serverReflexive } ?? onPublic.first)?.address else {
                return
            }
            let sockets = min(max(0, settings.sockets), 1_024)
            let pacer = PredictionPacer(start: now, total: sockets, config: settings)
            let closeAt = now + offset + settings.maximumDuration + settings.linger
            prediction.phase = .opening(PredictionOpener(pacer: pacer, target: target, closeAt: closeAt))
            prediction.requests.append(.openSockets(count: sockets, ip: host.ip))
            prediction.status.role = .opener
        case .prober:
            // The peer can aim our probes only at an address it also signals as its own server-reflexive one.
            guard let ip = prediction.remoteNAT?.parsedPublicIP,
                remoteCandidates.contains(where: { $0.kind == .serverReflexive && $0.address.ip == ip })
            else { return }
            let anchors = remoteCandidates.filter { $0.address.ip == ip }.map(\.address.port)
            let total = min(max(0, settings.maximumProbes), 16_384)
            let pacer = PredictionPacer(start: now + offset, total: total, config: settings)
            let ports = PredictedPorts(anchors: anchors, config: settings)
            prediction.phase = .probing(PredictionProber(pacer: pacer, ip: ip, base: host, ports: ports))
            prediction.status.role = .prober
        case .none, .off:
            return
        }
    }

    /// A probe (or an opening datagram) is a full connectivity check: authenticated with the peer's password,
    /// so the peer answers it and nothing unauthenticated is ever trusted. It is sent once, not retransmitted.
    @discardableResult
    mutating func sendPredictionRequest(from base: TransportAddress, to remote: TransportAddress) -> [UInt8] {
        let id = random.bytes(count: 12)
        let priority =
            localCandidates.first { $0.base == base }?.priority ?? Candidate.priority(kind: .host, localPreference: 0)
        if let bytes = bindingRequest(id: id, localPriority: priority, useCandidate: false) {
            send(bytes, from: base, to: remote)
        }
        return id
    }
}
