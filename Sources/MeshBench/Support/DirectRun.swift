import DirectPath
import MeshCore

/// Drives two `DirectChannel`s over two loopback sockets on one thread: the adapter loop a node would run,
/// minus everything but sockets and timers.
struct DirectRun {
    struct Result {
        var deliveredBytes: Int
        var seconds: Double
        var latencies: [Double]
        var datagramSize: Int
        var packetsLost: Int
        var datagramsSent: Int
        var smoothedRTTMilliseconds: Double
        var congestionWindow: Int

        var goodputMbps: Double { Double(deliveredBytes) * 8 / seconds / 1e6 }
        var messagesPerSecond: Double { Double(latencies.count) / seconds }

        func latencyMilliseconds(percentile: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let sorted = latencies.sorted()
            return sorted[min(Int(Double(sorted.count - 1) * percentile), sorted.count - 1)]
        }
    }

    let messageSize: Int
    let count: Int
    let outstanding: Int
    /// sendmmsg/recvmmsg for each side's datagrams, as the product's NIO adapter does; false: one call per datagram.
    let batched: Bool

    let cipher: ChannelCipher

    init(messageSize: Int, count: Int, outstanding: Int, batched: Bool = true, cipher: ChannelCipher) throws {
        self.messageSize = messageSize
        self.count = count
        self.outstanding = outstanding
        self.batched = batched
        self.cipher = cipher
    }

    func execute<R: RandomSource>(loss: Double, random: inout R, clock: SystemClock) throws -> Result {
        let socketA = try BenchUDPSocket()
        let socketB = try BenchUDPSocket()
        var keyRandom = SeededRandom(seed: 99)
        let alice = AgentIdentity.generate(using: &keyRandom)
        let bob = AgentIdentity.generate(using: &keyRandom)
        let keys = try ChannelKeys(
            sessionSecret: keyRandom.secureBytes(count: 32),
            initiator: alice.publicKey,
            responder: bob.publicKey,
            context: [],
            cipher: cipher
        )
        let start = clock.now()
        var a = DirectChannel(keys: keys, isInitiator: true, localChannelID: 1, remoteChannelID: 2, now: start)
        var b = DirectChannel(keys: keys, isInitiator: false, localChannelID: 2, remoteChannelID: 1, now: start)
        var enqueuedAt: [Int: Timestamp] = [:]
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        var nextIndex = 0
        var delivered = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let slots = ReceiveSlots()
        var outgoing: [[UInt8]] = []
        var payload = [UInt8](repeating: 0xAB, count: messageSize)
        let deadline = start + .seconds(120)

        while delivered < count {
            var now = clock.now()
            guard now < deadline else {
                throw BenchError(
                    "direct run did not finish in 120 s: delivered \(delivered) of \(count); sender \(a.pathQuality), "
                        + "\(a.statistics); receiver \(b.statistics)"
                )
            }
            while nextIndex < count && nextIndex - delivered < outstanding {
                withUnsafeBytes(of: UInt64(nextIndex).bigEndian) { payload.replaceSubrange(0..<8, with: $0) }
                do { try a.send(payload) } catch { break }
                enqueuedAt[nextIndex] = now
                nextIndex += 1
            }
            var activity = false
            outgoing.removeAll(keepingCapacity: true)
            while let datagram = a.pollTransmit(now: now) {
                activity = true
                if !drop(loss, &random) { outgoing.append(datagram) }
            }
            transmit(outgoing, from: socketA, to: socketB)
            outgoing.removeAll(keepingCapacity: true)
            while let datagram = b.pollTransmit(now: now) {
                activity = true
                if !drop(loss, &random) { outgoing.append(datagram) }
            }
            transmit(outgoing, from: socketB, to: socketA)
            while receive(socketB, slots, &buffer, { _ = b.handleDatagram($0, now: now) }) > 0 { activity = true }
            while receive(socketA, slots, &buffer, { _ = a.handleDatagram($0, now: now) }) > 0 { activity = true }
            now = clock.now()
            while let event = b.pollEvent() {
                guard case .message(let message) = event else { continue }
                let index = message.prefix(8).reduce(0) { $0 << 8 | Int($1) }
                if let sentAt = enqueuedAt.removeValue(forKey: index) {
                    latencies.append((now - sentAt).milliseconds)
                }
                delivered += 1
            }
            while a.pollEvent() != nil {}
            // Each channel's own expired timers, once each.
            if let timeout = a.pollTimeout(), timeout <= now {
                a.handleTimeout(now: now)
                activity = true
            }
            if let timeout = b.pollTimeout(), timeout <= now {
                b.handleTimeout(now: now)
                activity = true
            }
            if !activity {
                let next = [a.pollTimeout(), b.pollTimeout()].compactMap { $0 }.min() ?? now + .milliseconds(1)
                BenchUDPSocket.wait([socketA, socketB], timeout: min(next - now, .milliseconds(5)))
            }
        }
        let seconds = (clock.now() - start).milliseconds / 1_000
        return Result(
            deliveredBytes: delivered * messageSize,
            seconds: seconds,
            latencies: latencies,
            datagramSize: a.pathQuality.datagramSize,
            packetsLost: a.statistics.packetsLost + b.statistics.packetsLost,
            datagramsSent: a.statistics.datagramsSent + b.statistics.datagramsSent,
            smoothedRTTMilliseconds: a.pathQuality.smoothedRTT.milliseconds,
            congestionWindow: a.pathQuality.congestionWindow
        )
    }
}

extension DirectRun {
    private func transmit(_ datagrams: [[UInt8]], from socket: BenchUDPSocket, to peer: BenchUDPSocket) {
        if batched {
            socket.send(batch: datagrams, toPort: peer.port)
        } else {
            for datagram in datagrams { socket.send(datagram, toPort: peer.port) }
        }
    }

    /// Hands each waiting datagram to `each` (a batch, or one); returns how many there were.
    private func receive(
        _ socket: BenchUDPSocket,
        _ slots: ReceiveSlots,
        _ buffer: inout [UInt8],
        _ each: (consuming [UInt8]) -> Void
    ) -> Int {
        if batched { return socket.receiveBatch(into: slots, each) }
        guard let datagram = socket.receive(into: &buffer) else { return 0 }
        each(datagram)
        return 1
    }
}

func drop<R: RandomSource>(_ probability: Double, _ random: inout R) -> Bool {
    probability > 0 && Double.random(in: 0..<1, using: &random) < probability
}

/// The baseline: the same number of payload bytes in datagrams of the same size, plain, through the same kind of
/// sockets and the same loss, with no security and no reliability. Returns goodput in Mbit/s.
enum PlainUDPRun {
    static func execute<R: RandomSource>(
        datagramSize: Int,
        bytes: Int,
        loss: Double,
        random: inout R,
        clock: SystemClock
    ) throws -> Double {
        let sender = try BenchUDPSocket()
        let receiver = try BenchUDPSocket()
        let datagram = [UInt8](repeating: 0x5A, count: datagramSize)
        let total = max(bytes / datagramSize, 1)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var sent = 0
        var receivedBytes = 0
        let start = clock.now()
        while sent < total {
            // Bursts of 64, then drain, so the receive buffer never overflows and loss is only what we inject.
            for _ in 0..<min(64, total - sent) {
                if !drop(loss, &random) { sender.send(datagram, toPort: receiver.port) }
                sent += 1
            }
            while let received = receiver.receive(into: &buffer) { receivedBytes += received.count }
        }
        while let received = receiver.receive(into: &buffer) { receivedBytes += received.count }
        let seconds = (clock.now() - start).milliseconds / 1_000
        return Double(receivedBytes) * 8 / seconds / 1e6
    }
}

extension PlainUDPRun {
    /// The same plain datagrams through sendmmsg/recvmmsg, 64 per call: what batching the system calls alone is
    /// worth, so the channel's batched run can be read against a baseline that batches too.
    static func executeBatched<R: RandomSource>(
        datagramSize: Int,
        bytes: Int,
        loss: Double,
        random: inout R,
        clock: SystemClock
    ) throws -> Double {
        let sender = try BenchUDPSocket()
        let receiver = try BenchUDPSocket()
        let datagram = [UInt8](repeating: 0x5A, count: datagramSize)
        let total = max(bytes / datagramSize, 1)
        let slots = ReceiveSlots()
        var burst: [[UInt8]] = []
        var sent = 0
        var receivedBytes = 0
        let start = clock.now()
        while sent < total {
            burst.removeAll(keepingCapacity: true)
            for _ in 0..<min(BenchUDPSocket.batchLimit, total - sent) {
                if !drop(loss, &random) { burst.append(datagram) }
                sent += 1
            }
            sender.send(batch: burst, toPort: receiver.port)
            while receiver.receiveBatch(into: slots, { receivedBytes += $0.count }) > 0 {}
        }
        while receiver.receiveBatch(into: slots, { receivedBytes += $0.count }) > 0 {}
        let seconds = (clock.now() - start).milliseconds / 1_000
        return Double(receivedBytes) * 8 / seconds / 1e6
    }
}
