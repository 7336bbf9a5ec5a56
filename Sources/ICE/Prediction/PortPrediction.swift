import MeshCore

/// What the agent asks its driver to do for port prediction (the agent itself never opens a socket).
public enum PortPredictionRequest: Hashable, Sendable {
    /// Bind `count` UDP sockets on `ip`, port 0, and hand each to `ICEAgent.addPredictionSocket`.
    case openSockets(count: Int, ip: IPAddress)
    /// Close these prediction sockets: nothing uses them any more.
    case closeSockets([TransportAddress])
}

/// What prediction did in this session, for reports (the lab prints it per cell).
public struct PortPredictionStatus: Hashable, Sendable {
    public enum Role: String, Sendable {
        /// Disabled by configuration.
        case off
        /// Not (yet) decided, or the NATs do not call for it, or ordinary checks succeeded first.
        case none
        /// Our NAT maps per destination: we opened sockets (mappings) towards the peer.
        case opener
        /// Our NAT maps independently of the destination: we probed ports of the peer's NAT.
        case prober
    }

    public var role: Role = .none
    public var socketsOpened = 0
    /// Opening datagrams (opener) or probes (prober) sent.
    public var packetsSent = 0
    /// The local prediction socket a probe reached (opener), or the remote mapping that answered (prober).
    public var hit: TransportAddress?
}

/// The symmetric side's state: the sockets it asked for, the ones not yet used to open a mapping, and the ones
/// a probe reached (kept while a pair may use them).
struct PredictionOpener: Sendable {
    var pacer: PredictionPacer
    let target: TransportAddress
    let closeAt: Timestamp
    var unopened: [TransportAddress] = []
    var bases: Set<TransportAddress> = []
    var adopted: Set<TransportAddress> = []
    var lingering = true
}

/// The endpoint-independent side's state: where it probes from and to, and which transaction probed which port.
struct PredictionProber: Sendable {
    var pacer: PredictionPacer
    let ip: IPAddress
    let base: TransportAddress
    var ports: PredictedPorts
    var probes: [[UInt8]: UInt16] = [:]
}

/// Everything the agent keeps for port prediction, in one stored property.
struct PredictionState: Sendable {
    enum Phase: Sendable {
        case waiting
        case opening(PredictionOpener)
        case probing(PredictionProber)
        case finished
    }

    var localNAT: ICENATHint?
    var remoteNAT: ICENATHint?
    var phase = Phase.waiting
    var requests: [PortPredictionRequest] = []
    var status = PortPredictionStatus()

    /// Which side we would play, from the two hints: prediction needs exactly one endpoint-dependent side with a
    /// known public address, facing an endpoint-independent one.
    var plannedRole: PortPredictionStatus.Role {
        guard let local = localNAT, let remote = remoteNAT else { return .none }
        if local.isEndpointDependent, remote.isEndpointIndependent, local.parsedPublicIP != nil { return .opener }
        if local.isEndpointIndependent, remote.isEndpointDependent, remote.parsedPublicIP != nil { return .prober }
        return .none
    }
}
