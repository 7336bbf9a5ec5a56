import Foundation
import NIOCore
import NIOPosix

/// Paces the benchmark's senders and measures deliveries. Every client's handler runs on one client event
/// loop, and so does every call here; that confinement is what makes `@unchecked Sendable` sound.
final class BenchCoordinator: @unchecked Sendable {
    let clients: Int
    let perClient: Int
    let window: Int
    let size: Int
    /// The one loop every client channel and every call here runs on.
    let loop: any EventLoop
    let done: EventLoopPromise<Void>
    let allReady: EventLoopPromise<Void>
    var senders: [(Int) -> Void] = []
    private var sendTimes: [UInt64]
    private(set) var latenciesMs: [Double] = []
    private var outstanding: [Int]
    private var sent: [Int]
    private var readyCount = 0
    private(set) var duplicates = 0
    private var seen: [Bool]

    init(clients: Int, perClient: Int, window: Int, size: Int, loop: any EventLoop) {
        self.clients = clients
        self.perClient = perClient
        self.window = window
        self.size = max(size, 8)
        self.loop = loop
        done = loop.makePromise()
        allReady = loop.makePromise()
        sendTimes = Array(repeating: 0, count: clients * perClient)
        seen = Array(repeating: false, count: clients * perClient)
        outstanding = Array(repeating: 0, count: clients)
        sent = Array(repeating: 0, count: clients)
        latenciesMs.reserveCapacity(clients * perClient)
    }

    /// A coordinator on one loop of the shared group; the relay run and the baseline run both start here, so
    /// they pace and measure identically.
    static func onSharedLoop(clients: Int, perClient: Int, window: Int, size: Int) -> BenchCoordinator {
        BenchCoordinator(
            clients: clients,
            perClient: perClient,
            window: window,
            size: size,
            loop: MultiThreadedEventLoopGroup.singleton.next()
        )
    }

    var total: Int { clients * perClient }

    func ready() {
        readyCount += 1
        if readyCount == clients { allReady.succeed() }
    }

    func startAll() {
        if total == 0 { done.succeed() }
        for client in 0..<clients { pump(client) }
    }

    func payload(_ index: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xA5, count: size)
        withUnsafeBytes(of: UInt64(index).bigEndian) { raw in
            for (offset, byte) in raw.enumerated() { bytes[offset] = byte }
        }
        return bytes
    }

    static func index(of payload: some Collection<UInt8>) -> Int {
        payload.prefix(8).reduce(0) { $0 << 8 | Int($1) }
    }

    private func pump(_ client: Int) {
        while outstanding[client] < window && sent[client] < perClient {
            let index = client * perClient + sent[client]
            sent[client] += 1
            outstanding[client] += 1
            sendTimes[index] = DispatchTime.now().uptimeNanoseconds
            senders[client](index)
        }
    }

    func delivered(_ index: Int) {
        guard index >= 0 && index < total else { return }
        guard !seen[index] else {
            duplicates += 1
            return
        }
        seen[index] = true
        latenciesMs.append(Double(DispatchTime.now().uptimeNanoseconds - sendTimes[index]) / 1e6)
        let sender = index / perClient
        outstanding[sender] -= 1
        pump(sender)
        if latenciesMs.count == total { done.succeed() }
    }

    func percentile(_ fraction: Double) -> Double {
        let sorted = latenciesMs.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}
