import Foundation
import MeshCore
import NIOCore
import NIOPosix
import RelayClient
import RelayFallback

/// Offers a pool of knocks to the victim's first home relay at `rate` per second, over `connections` relay
/// connections (each logged in as its own fresh identity, as a flooder with few sockets and many identities would),
/// spread round-robin, and counts the relay's answer to each: forwarded or stored (it went on to the victim) or
/// refused, by code (the relay's per-sender rate and first-contact quota apply).
///
/// Every handler, the pacing timer and every counter live on one event loop; that confinement is what makes
/// `@unchecked Sendable` sound (every method is called on `loop`, checked by `assertInEventLoop`).
final class KnockFlood: @unchecked Sendable {
    let loop: any EventLoop
    let rate: Double
    private let pool: [OutboundEnvelope]
    private var handlers: [RelayClientHandler] = []
    private var ready = 0
    private let allReady: EventLoopPromise<Void>
    private let offeredAll: EventLoopPromise<Void>
    private let answeredAll: EventLoopPromise<Void>
    private var next = 0
    private var turn = 0
    private var began: NIODeadline?
    private(set) var offerSeconds = 0.0
    private(set) var answered = 0
    private(set) var clientOutboxFull = 0
    private(set) var dispositions: [String: Int] = [:]
    private(set) var refusals: [String: Int] = [:]
    private var timer: RepeatedTask?
    private let connections: Int
    private var finished = false

    init(pool: [OutboundEnvelope], rate: Double, connections: Int, loop: any EventLoop) {
        self.pool = pool
        self.rate = rate
        self.connections = max(connections, 1)
        self.loop = loop
        allReady = loop.makePromise()
        offeredAll = loop.makePromise()
        answeredAll = loop.makePromise()
    }

    var offered: Int { next }

    /// Opens the connections to the relay at `host:port` and waits until each has logged in.
    func connect(host: String, port: Int) async throws -> [any Channel] {
        var channels: [any Channel] = []
        var random = SystemRandom()
        for _ in 0..<connections {
            let identity = AgentIdentity.generate(using: &random)
            let channel = try await RelayWebSocket.connect(host: host, port: port, group: loop) { channel in
                let handler = RelayClientHandler(identity: identity, expectedRelay: nil) { [self] event, _ in
                    self.handle(event)
                }
                try channel.pipeline.syncOperations.addHandler(handler)
                self.loop.assertInEventLoop()
                self.handlers.append(handler)
            }
            channels.append(channel)
        }
        try await loop.flatSubmit { self.allReady.futureResult }.get()
        return channels
    }

    /// Offers the whole pool at the rate; returns once every knock has been handed to a connection.
    func offer() async throws {
        try await loop.flatSubmit { () -> EventLoopFuture<Void> in
            self.began = .now()
            self.timer = self.loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(2)) { _ in
                self.tick()
            }
            return self.offeredAll.futureResult
        }.get()
    }

    /// Waits (at most `timeout`) for the relay's answer to every offered knock.
    func waitForAnswers(timeout: TimeAmount) async {
        let deadline = loop.scheduleTask(in: timeout) { self.finish() }
        try? await loop.flatSubmit { () -> EventLoopFuture<Void> in
            if self.answered >= self.next { self.finish() }
            return self.answeredAll.futureResult
        }.get()
        deadline.cancel()
    }

    /// Read on the loop.
    func counts() async throws -> (answered: Int, dispositions: [String: Int], refusals: [String: Int], full: Int) {
        try await loop.submit { (self.answered, self.dispositions, self.refusals, self.clientOutboxFull) }.get()
    }

    private func tick() {
        guard let began, !handlers.isEmpty else { return }
        let elapsed = Double((NIODeadline.now() - began).nanoseconds) / 1e9
        let due = min(Int(rate * elapsed), pool.count)
        var stalled = 0
        while next < due && stalled < handlers.count {
            let handler = handlers[turn % handlers.count]
            turn += 1
            if handler.send(pool[next]) {
                next += 1
                stalled = 0
            } else {
                clientOutboxFull += 1
                stalled += 1
            }
        }
        if next == pool.count {
            offerSeconds = elapsed
            timer?.cancel()
            timer = nil
            offeredAll.succeed()
        }
    }

    private func handle(_ event: RelayClientEvent) {
        switch event {
        case .ready:
            ready += 1
            if ready == connections { allReady.succeed() }
        case .accepted(_, let disposition):
            dispositions["\(disposition)", default: 0] += 1
            answer()
        case .refused(let refusal):
            refusals["\(refusal.code)", default: 0] += 1
            if refusal.envelopeID != nil { answer() }
        default:
            break
        }
    }

    private func answer() {
        answered += 1
        if began != nil, next == pool.count, answered >= next { finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        answeredAll.succeed()
    }
}
