import Foundation
import MeshCore
import MeshNodeAPI
import MeshPeer

/// Messages from one agent to another through their relays, durable at both ends: `messages` `chat.message`s whose
/// text is `size` bytes, posted by `concurrency` API requests in flight (each returns once the message is in the
/// sender's outbox), counted when the recipient's API returns them (stored in its inbox). The clock runs from the
/// first POST until the recipient has read the last message.
enum RelayThroughput {
    struct Result: Sendable {
        var perSecond: Double
        var seconds: Double
        var sendAPIPerSecond: Double
        var received: Int
        /// CPU milliseconds per message by role (`RoleCPU`), over the same window.
        var cpuPerMessage: [String: Double]
    }

    static func measure(
        _ mesh: E2EMesh,
        from sender: String,
        to recipient: String,
        messages: Int,
        size: Int,
        concurrency: Int
    ) async throws -> Result {
        let a = try mesh.client(sender)
        let b = try mesh.client(recipient)
        let to = mesh.dids[recipient]!
        let from = mesh.dids[sender]!
        let start = try await FirstMessage.latestCursor(b)
        let cpuBefore = RoleCPU.snapshot(mesh, sender: sender, recipient: recipient)
        let began = ContinuousClock.now
        let reader = Task { () throws -> Int in
            var cursor = start
            var count = 0
            let deadline = ContinuousClock.now + .seconds(max(120, messages / 10))
            while count < messages {
                guard ContinuousClock.now < deadline else {
                    throw BenchError("\(recipient) read \(count) of \(messages) messages before the deadline")
                }
                let page = try await b.messages(after: cursor, limit: 500, wait: .seconds(5))
                count += page.messages.filter { $0.from == from && $0.intent == "chat.message" }.count
                cursor = page.cursor
            }
            return count
        }
        let next = LockedValue(0)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<max(concurrency, 1) {
                    group.addTask {
                        while true {
                            let index = next.withLock { value in
                                value += 1
                                return value - 1
                            }
                            guard index < messages else { return }
                            let request = SendRequest(
                                to: to,
                                intent: "chat.message",
                                body: .object(["text": .string(text(index, size: size))])
                            )
                            _ = try await a.send(request)
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            reader.cancel()
            throw error
        }
        let sendSeconds = seconds(since: began)
        let received = try await reader.value
        let total = seconds(since: began)
        let cpu = RoleCPU.snapshot(mesh, sender: sender, recipient: recipient)
        return Result(
            perSecond: Double(messages) / total,
            seconds: total,
            sendAPIPerSecond: Double(messages) / sendSeconds,
            received: received,
            cpuPerMessage: cpu.millisecondsPerMessage(since: cpuBefore, messages: messages)
        )
    }

    /// `size` bytes of text, numbered so each message differs.
    static func text(_ index: Int, size: Int) -> String {
        let head = "\(index) "
        return head + String(repeating: "x", count: max(size - head.utf8.count, 0))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        milliseconds(since: start) / 1_000
    }
}
