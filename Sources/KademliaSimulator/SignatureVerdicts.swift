import Foundation
import Kademlia
import MeshCore

/// Verifies the signatures of datagrams in flight on other cores, so that when the simulator delivers one, its
/// receiver's check finds an answer waiting instead of spending libsodium's 30-odd µs on the one thread that runs
/// the network. Verification was 57 % of the 10,000-node run's CPU (decision 0116), and it needs nothing but the
/// datagram's bytes: a verdict is a pure function of them, so a run is the same, bit for bit, with any number of
/// workers (0 verifies inline, as a real node does).
///
/// Every submitted ticket is taken exactly once (`take` when the receiver checks the message, `discard` when the
/// datagram is dropped before that), so nothing is held for datagrams that never reach a check, and the queue
/// holds at most the datagrams in flight. A ticket still waiting in the queue when it is taken is verified by the
/// caller at once rather than waited for, so the network's thread never idles behind a busy worker.
final class SignatureVerdicts: @unchecked Sendable {
    // `@unchecked Sendable`: every stored `var` is read and written only while holding `condition` (an NSCondition
    // is its own mutex); `workers` is a `let`. The worker threads and the simulator's thread share nothing else.
    enum Outcome: Equatable {
        case verdict(signature: Ed25519.Signature, valid: Bool)
        /// The bytes are not a signed message: the receiver drops them itself.
        case undecodable
    }

    /// One core is the simulator's own (it signs, runs the nodes, and verifies a queued datagram itself when it
    /// gets there first); the others verify. Measured on 2 cores with 2,000 nodes: two workers beside the
    /// simulator's thread cost it its core and 20 % more CPU in wake-ups, for a smaller gain than one.
    static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }
    /// A sleeping worker is woken once this many datagrams wait: waking it for each one costs more than the
    /// verification it saves, and the simulator's thread verifies what is still queued when it gets there.
    static let wakeBatch = 16

    let workers: Int
    private let condition = NSCondition()
    private var queue: [(ticket: Int, bytes: [UInt8])] = []
    private var head = 0
    private var results: [Int: Outcome] = [:]
    /// Tickets taken or discarded before a worker finished them: a worker skips or drops them.
    private var abandoned: Set<Int> = []
    private var nextTicket = 0
    private var started = false
    private var stopping = false
    private var sleeping = 0
    private var verifying = 0

    init(workers: Int) {
        self.workers = max(0, workers)
    }

    /// Queues `bytes` for verification and returns its ticket, or nil when there are no workers.
    func submit(_ bytes: [UInt8]) -> Int? {
        guard workers > 0 else { return nil }
        condition.lock()
        defer { condition.unlock() }
        if !started { startWorkers() }
        let ticket = nextTicket
        nextTicket += 1
        queue.append((ticket, bytes))
        if sleeping > 0 && queue.count - head >= Self.wakeBatch { condition.signal() }
        return ticket
    }

    /// The verdict for `ticket`, verifying `bytes` here if no worker has started on them yet.
    func take(_ ticket: Int, bytes: [UInt8]) -> Outcome {
        condition.lock()
        if let outcome = results.removeValue(forKey: ticket) {
            condition.unlock()
            return outcome
        }
        if isQueued(ticket) {
            abandoned.insert(ticket)
            condition.unlock()
            return Self.outcome(of: bytes)
        }
        while results[ticket] == nil { condition.wait() }
        let outcome = results.removeValue(forKey: ticket)!
        condition.unlock()
        return outcome
    }

    /// Gives `ticket` up: its datagram was dropped before any check.
    func discard(_ ticket: Int) {
        condition.lock()
        defer { condition.unlock() }
        if results.removeValue(forKey: ticket) == nil { abandoned.insert(ticket) }
    }

    /// Ends the workers once they finish what they hold.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes the workers and returns once nothing is queued or being verified: for tests.
    func finishQueued() {
        condition.lock()
        defer { condition.unlock() }
        condition.broadcast()
        while head < queue.count || verifying > 0 { condition.wait() }
    }

    /// Tickets held now (queued, verified and not taken, or abandoned and not yet skipped): for tests.
    var held: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head + results.count + abandoned.count
    }

    static func outcome(of bytes: [UInt8]) -> Outcome {
        do {
            let message = try SignedMessage.decode(datagram: bytes, maximumSize: 65_536)
            return .verdict(signature: message.signature, valid: message.isSignatureValid)
        } catch {
            return .undecodable
        }
    }

    /// Queued tickets are in order from `queue[head]`; anything below it has been popped by a worker.
    private func isQueued(_ ticket: Int) -> Bool {
        head < queue.count && ticket >= queue[head].ticket
    }

    private func startWorkers() {
        started = true
        for _ in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.name = "signature-verdicts"
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        while true {
            while head == queue.count && !stopping {
                sleeping += 1
                condition.wait()
                sleeping -= 1
            }
            if stopping { break }
            let job = queue[head]
            head += 1
            if head >= 4_096 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            if abandoned.remove(job.ticket) != nil {
                if head == queue.count { condition.broadcast() }  // for `finishQueued`
                continue
            }
            verifying += 1
            condition.unlock()
            let outcome = Self.outcome(of: job.bytes)
            condition.lock()
            verifying -= 1
            if abandoned.remove(job.ticket) == nil { results[job.ticket] = outcome }
            condition.broadcast()
        }
        condition.unlock()
    }
}

/// The receiver's side: the ticket of the datagram being delivered, read by the node's `signatureCheck`. Only the
/// simulator's thread touches it.
final class DeliveryTicket {
    let verdicts: SignatureVerdicts
    var current: (ticket: Int, bytes: [UInt8])?

    init(verdicts: SignatureVerdicts) {
        self.verdicts = verdicts
    }

    /// The node's check: the worker's verdict when `message` is the one submitted, else a verification here.
    func check(_ message: SignedMessage) -> Bool {
        if let current {
            self.current = nil
            if case .verdict(message.signature, let valid) = verdicts.take(current.ticket, bytes: current.bytes) {
                return valid
            }
        }
        return message.isSignatureValid
    }

    /// After the node handled the datagram: a ticket its check never asked for is given up.
    func finish() {
        if let current { verdicts.discard(current.ticket) }
        current = nil
    }
}
