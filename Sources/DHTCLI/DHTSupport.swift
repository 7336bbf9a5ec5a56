import CLISupport
import Foundation
import Kademlia
import MeshCore
import MeshPeer

/// Bridges the synchronous CLI to the async driver, and turns core events into printable lines.
public enum DHTSupport {
    /// Runs `body` on the concurrency pool and blocks the calling thread until it ends.
    public static func block(_ body: @escaping @Sendable () async throws -> Void) throws {
        let outcome = LockedValue<Result<Void, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await body()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 }?.get()
    }

    public static let maximumCardBytes = AgentRecord.maximumCardBytes

    /// An agent card must be a JSON object and small enough to fit in a record.
    public static func readCard(_ path: String) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count <= maximumCardBytes else {
            throw CLIError("the agent card is \(data.count) bytes; the limit is \(maximumCardBytes)")
        }
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw CLIError("the agent card must be a JSON object")
        }
        return Array(data)
    }

    public static func describe(_ event: KademliaEvent) -> [String: Any] {
        switch event {
        case .lookupFinished(let result):
            var fields: [String: Any] = [
                "event": "lookup", "query": result.id.rawValue, "hops": result.hops,
                "messages": result.messagesSent, "timed_out": result.timedOut,
                "latency_ms": Int((result.finished - result.started).milliseconds),
                "closest": result.closest.map { ["node_id": $0.id.hex, "address": $0.address.description] },
            ]
            if result.kind == .findValue {
                fields["found"] = result.agentRecord != nil
                if let record = result.agentRecord {
                    fields["did"] = record.did
                    fields["sequence"] = record.sequence
                    fields["expires_ms"] = record.expiresAt.millisecondsSinceEpoch
                    fields["agent_card"] = String(decoding: record.agentCard, as: UTF8.self)
                    fields["address_hints"] = AddressHint.known(in: record.addressHints).map(\.description)
                }
            }
            if result.kind == .getProviders {
                fields["providers"] = result.providerRecords.map { ["did": $0.providerDID, "sequence": $0.sequence] }
                fields["found"] = !result.providers.isEmpty
            }
            return fields
        case .publishFinished(let result):
            var fields: [String: Any] = [
                "event": "published", "key": result.key.hex, "accepted": result.accepted, "refused": result.refused,
                "unanswered": result.unanswered, "latency_ms": Int((result.finished - result.started).milliseconds),
            ]
            if let refusal = result.ownCopyRefused { fields["own_copy_refused"] = refusal.description }
            return fields
        case .recordRejected(let source, let rejection):
            return ["event": "record-rejected", "from": source.description, "reason": rejection.description]
        case .contactAdded(let contact):
            return ["event": "contact-added", "node_id": contact.id.hex, "address": contact.address.description]
        case .contactEvicted(let id):
            return ["event": "contact-evicted", "node_id": id.hex]
        case .probeFinished(let result):
            return ["event": "probe-finished", "node_id": result.contact.id.hex, "answered": result.answered]
        }
    }

    public static func print(_ fields: [String: Any], json: Bool) {
        let line = json ? SortedJSON.line(fields) : SortedJSON.keyValueText(fields)
        // Unbuffered, so a script reading the output sees each line as it happens.
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
