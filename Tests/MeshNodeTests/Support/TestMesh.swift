import Foundation
import MeshNode
import MeshNodeAPI
import MeshPeer
import NIOPosix

/// Test support over `LocalMesh`: the built `meshpeer` binary beside the test bundle, a temporary root removed
/// afterwards, and bounded polling of observable state.
enum TestMesh {
    static let binary: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("meshpeer").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("meshpeer").path
    }()

    /// The tests' event-loop group for their API clients.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func make(_ label: String) throws -> LocalMesh {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure("no meshpeer binary at \(binary): build it first (swift build --build-tests)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshpeer-\(label)-\(UUID().uuidString)"
        )
        return LocalMesh(executable: binary, root: root.path, group: group)
    }

    static func card(_ name: String, skills: [String]) -> [String: Any] {
        [
            "name": name,
            "description": "\(name), a test agent.",
            "version": "1.0.0",
            "defaultInputModes": ["text/plain"],
            "defaultOutputModes": ["text/plain"],
            "capabilities": [:] as [String: Any],
            "supportedInterfaces": [] as [Any],
            "skills": skills.map { ["id": $0, "name": $0, "description": "Does \($0).", "tags": [$0]] },
        ]
    }

    /// config.json for agents whose conversations must stay on the relay: a test of the relay path (a hostile
    /// relay, counting at the relay) would otherwise be bypassed once the direct path comes up.
    static var relayOnly: [String: Any] { ["direct": ["mode": "relay"]] }

    /// Polls `probe` until it returns a value (bounded); the last error is part of the failure.
    static func eventually<T: Sendable>(
        _ what: String,
        timeout: Duration = .seconds(30),
        _ probe: @Sendable () async throws -> T?
    ) async throws -> T {
        try await MeshNode.eventually(what, timeout: timeout, probe)
    }

    /// The first event on `events` that `matches`, reading at most 1,000 events for at most `timeout`.
    static func firstEvent(
        in events: AsyncThrowingStream<NodeEvent, any Error>,
        _ what: String,
        timeout: Duration = .seconds(30),
        _ matches: @escaping @Sendable (NodeEvent) -> Bool
    ) async throws -> NodeEvent {
        try await withThrowingTaskGroup(of: NodeEvent?.self) { group in
            group.addTask {
                var read = 0
                for try await event in events {
                    if matches(event) { return event }
                    read += 1
                    if read >= 1_000 { break }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else { throw TestFailure("no event: \(what) within \(timeout) or 1,000 events") }
            return first
        }
    }

    /// A bootstrap node, one relay, and agents `a` and `b` that are contacts (`b` accepts every knock); `extra`
    /// goes into both agents' config.json.
    static func pair(_ mesh: LocalMesh, extra: [String: Any] = [:]) async throws -> (String, String) {
        try await mesh.startBootstrap()
        let relay = try await mesh.startRelay("relay")
        try await mesh.prepareAgent("a", card: card("A", skills: ["alpha"]), policy: [:], relays: [relay], extra: extra)
        try await mesh.prepareAgent(
            "b",
            card: card("B", skills: ["beta"]),
            policy: ["default": "accept"],
            relays: [relay],
            extra: extra
        )
        try await mesh.startAgent("a")
        try await mesh.startAgent("b")
        return try await contacts(mesh, "a", "b")
    }

    /// Two agents that are contacts: `a` knocked, `b`'s policy accepted it.
    static func contacts(_ mesh: LocalMesh, _ a: String, _ b: String) async throws -> (String, String) {
        let clientA = try mesh.client(a)
        let clientB = try mesh.client(b)
        let didA = try await clientA.status().did
        let didB = try await clientB.status().did
        _ = try await eventually("\(b)'s record in the DHT", timeout: .seconds(60)) {
            try await clientA.find(.did(didB)).first
        }
        _ = try await clientA.knock(KnockRequest(to: didB, intent: "chat.message", purpose: "test"))
        _ = try await eventually("\(b) to accept \(a)") { try await clientA.contacts().first { $0.did == didB } }
        return (didA, didB)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestMesh {
    /// The value of an unlabelled Prometheus counter or gauge in `text` (0 when absent).
    static func metric(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let value = Double(line.split(separator: " ").last ?? "") { return Int(value) }
        }
        return 0
    }
}
