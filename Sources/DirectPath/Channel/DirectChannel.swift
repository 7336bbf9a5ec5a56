import MeshCore

/// A confidential, authenticated, reliable, ordered message channel over one UDP path (sans-IO).
///
/// Feed it datagrams (`handleDatagram`) and timer expiries (`handleTimeout`) with the current instant; take
/// datagrams to send (`pollTransmit`), events (`pollEvent`) and the next deadline (`pollTimeout`). It never reads a
/// clock or touches a socket, so a test can run it over a simulated lossy network deterministically.
///
/// Reliability follows QUIC (RFC 9000/9002) in miniature: one ordered byte stream carrying length-prefixed messages,
/// packet numbers that never repeat, ACK ranges, loss detection by reordering threshold and time, probe timeouts,
/// BBR with pacing, and flow control that caps what the peer can make us buffer.
public struct DirectChannel: Sendable {
    public let configuration: ChannelConfiguration
    var protection: PacketProtection
    let localChannelID: UInt64
    let remoteChannelID: UInt64

    var sendStream: SendStream
    var receiveStream: ReceiveStream
    var sent = SentPacketTracker()
    var received = ReceivedPacketTracker()
    var rtt = RTTEstimator()
    var congestion: CongestionController
    var nextPacketNumber: UInt64 = 0
    var peerStreamLimit: UInt64
    var advertisedLimit: UInt64

    var events: [ChannelEvent] = []
    var eventHead = 0
    public internal(set) var statistics = ChannelStatistics()
    var lossRate = 0.0

    var datagramSize: Int
    var mtuProbe: MTUProbeState
    var pendingPing = false
    var mtuProbeAttempts = 0
    static let maximumMTUProbes = 3
    /// The last window update may have been lost: advertise the limit again in an ack-eliciting packet.
    var windowUpdatePending = false
    var probeBudget = 0
    var ptoCount = 0
    var lastSentAt: Timestamp
    var lastReceivedAt: Timestamp
    /// Since when some of our stream data has been unacknowledged (nil while everything sent is acknowledged).
    var outstandingSince: Timestamp?
    var pendingClose: (code: UInt16, reason: String)?
    /// Challenge tokens to echo, and echoes received that the driver has not taken yet (path validation).
    var pendingPathResponses: [UInt64] = []
    var receivedPathResponses: [UInt64] = []
    static let maximumPathTokens = 4
    var closeSent = false
    public internal(set) var closeReason: CloseReason?

    enum MTUProbeState: Equatable, Sendable {
        case pending
        case inFlight(packetNumber: UInt64)
        case done
    }

    public init(
        configuration: ChannelConfiguration = ChannelConfiguration(),
        keys: ChannelKeys,
        isInitiator: Bool,
        localChannelID: UInt64,
        remoteChannelID: UInt64,
        now: Timestamp
    ) {
        self.configuration = configuration
        protection = PacketProtection(keys: keys.packetKeys(isInitiator: isInitiator))
        self.localChannelID = localChannelID
        self.remoteChannelID = remoteChannelID
        sendStream = SendStream(bufferLimit: configuration.sendBufferLimit)
        receiveStream = ReceiveStream(window: configuration.receiveWindow, maximumMessage: configuration.maximumMessage)
        congestion = CongestionController(maxDatagramSize: configuration.initialDatagramSize)
        // Until the first ACK tells us otherwise, assume the peer uses our own window.
        peerStreamLimit = UInt64(configuration.receiveWindow)
        advertisedLimit = UInt64(configuration.receiveWindow)
        datagramSize = configuration.initialDatagramSize
        mtuProbe = configuration.probeDatagramSize > configuration.initialDatagramSize ? .pending : .done
        lastSentAt = now
        lastReceivedAt = now
    }

    public var isClosed: Bool { closeReason != nil }

    public var pathQuality: PathQuality {
        PathQuality(
            smoothedRTT: rtt.smoothed,
            rttVariance: rtt.variance,
            lossRate: lossRate,
            congestionWindow: congestion.window,
            bandwidthEstimate: congestion.bandwidthEstimate,
            datagramSize: datagramSize,
            unacknowledgedBytes: sendStream.unacknowledgedBytes
        )
    }

    /// Queues a message for reliable, ordered delivery.
    public mutating func send(_ message: [UInt8]) throws(ChannelSendError) {
        guard !isClosed, pendingClose == nil else { throw .closed }
        guard message.count <= configuration.maximumMessage else { throw .messageTooLarge(message.count) }
        guard sendStream.enqueue(message) else { throw .backpressure }
        statistics.messagesSent += 1
    }

    /// Starts a graceful close: the CLOSE frame goes out with the next transmit.
    public mutating func close(code: UInt16 = 0, reason: String = "", now: Timestamp) {
        guard !isClosed, pendingClose == nil else { return }
        pendingClose = (code, reason)
    }

    /// The next event: received messages first (in order, cut from the stream only now, so an application that
    /// stops polling stops the peer through flow control), then closes and path changes. Poll `pollTransmit`
    /// afterwards: taking messages can open the window and owe the peer an update.
    public mutating func pollEvent() -> ChannelEvent? {
        do {
            if let message = try receiveStream.nextMessage() {
                statistics.messagesDelivered += 1
                return .message(message)
            }
        } catch {
            messageTooLarge(now: lastReceivedAt)
        }
        guard eventHead < events.count else { return nil }
        defer {
            eventHead += 1
            if eventHead == events.count {
                events.removeAll(keepingCapacity: true)
                eventHead = 0
            }
        }
        return events[eventHead]
    }

    mutating func emit(_ event: ChannelEvent) {
        events.append(event)
    }

    mutating func finish(_ reason: CloseReason) {
        guard closeReason == nil else { return }
        closeReason = reason
        emit(.closed(reason))
    }
}
