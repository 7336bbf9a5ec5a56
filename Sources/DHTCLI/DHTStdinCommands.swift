import CLISupport
import Foundation
import Kademlia
import KademliaDriver
import MeshCore

/// `meshpeer dht serve --stdin-commands`: a long-running node that takes `put` and `get` commands as JSON lines on
/// stdin and answers each with one JSON line on stdout carrying the command's `id`.
///
/// Why a channel on a serving node rather than `dht put`/`dht get`: those start a fresh node, join and ask once, so
/// their latency is a cold join's, not the lookup of a node that has been in the network for a while (which is what
/// `meshbench dht-net` races against another implementation's long-running nodes). The commands:
///
/// - `{"id": 1, "op": "put", "seed": "<64 hex>", "card": "<JSON object as a string>"}`: signs an agent record with
///   the Ed25519 key of that seed (a throwaway key per published value) and publishes it once, without republishing;
///   answers with the `published` event (`accepted`, `refused`, `unanswered`).
/// - `{"id": 2, "op": "get", "did": "did:key:…"}`: looks the record up; answers with the `lookup` event (`found`,
///   `agent_card`, `hops`).
/// - `{"id": 3, "op": "stats"}`: the routing table's size, the process id, and datagrams sent and received, with
///   how many of each carried a pair tag (decision 0124).
///
/// A line is at most `maximumLineBytes`; at most `maximumInFlight` commands run at once (more are answered with an
/// error). End of stdin shuts the node down, so a node outlives no driver that forgot it.
///
/// A command goes from the reader thread straight to the driver's event loop (`KademliaUDPDriver.startQuery`), and
/// its answer is written from there: no task in between. Each hop is a thread wake-up, and with two hundred race
/// processes on two cores the two extra hops of the async path cost more than a lookup's own work. The answer is a
/// small blocking write to stdout on the event loop, so a driver that stops reading stdout stalls the node: this is
/// a channel for a measuring driver, not an API.
public enum DHTStdinCommands {
    public static let maximumLineBytes = 16 * 1024
    public static let maximumInFlight = 64

    /// Reads stdin on a thread of its own (a blocking read must not sit on the event loop or the task pool).
    public static func start(_ session: DHTSession) {
        let inFlight = LockedValue(0)
        let thread = Thread {
            var pending: [UInt8] = []
            var discarding = false
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                for byte in chunk[..<count] {
                    if byte == UInt8(ascii: "\n") {
                        if !discarding { dispatch(pending, session: session, inFlight: inFlight) }
                        pending.removeAll(keepingCapacity: true)
                        discarding = false
                    } else if pending.count < maximumLineBytes {
                        pending.append(byte)
                    } else if !discarding {
                        discarding = true
                        session.report(["event": "error", "message": "command line over \(maximumLineBytes) bytes"])
                    }
                }
            }
            Task {
                await session.close()
                exit(0)
            }
        }
        thread.start()
    }

    public static func dispatch(_ line: [UInt8], session: DHTSession, inFlight: LockedValue<Int>) {
        guard !line.isEmpty else { return }
        guard let command = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            return session.report(["event": "error", "message": "a command is one JSON object per line"])
        }
        let id = (command["id"] as? Int) ?? -1
        let admitted = inFlight.withLock { count in
            guard count < maximumInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return session.report(["id": id, "event": "error", "message": "over \(maximumInFlight) commands at once"])
        }
        let request = Request(
            op: command["op"] as? String,
            seed: command["seed"] as? String,
            card: command["card"] as? String,
            did: command["did"] as? String
        )
        run(request, session: session) { reply in
            var reply = reply
            reply["id"] = id
            session.report(reply)
            inFlight.withLock { $0 -= 1 }
        }
    }

    /// The fields a command may carry, copied out of the untyped JSON so the task that runs it is `Sendable`.
    public struct Request: Sendable {
        var op: String?
        var seed: String?
        var card: String?
        var did: String?
    }

    /// Runs one command; `answer` is called once, on the driver's event loop or (for a refused command) at once.
    public static func run(
        _ request: Request,
        session: DHTSession,
        answer: @escaping @Sendable ([String: Any]) -> Void
    ) {
        let refuse: @Sendable (any Error) -> Void = { answer(["event": "error", "message": "\($0)"]) }
        let describe: @Sendable (Result<KademliaEvent, any Error>) -> Void = { result in
            switch result {
            case .success(let event): answer(DHTSupport.describe(event))
            case .failure(let error): refuse(error)
            }
        }
        switch request.op {
        case "put":
            guard let hex = request.seed, var bytes = Hex.decode(hex), bytes.count == Ed25519.seedByteCount else {
                return refuse(CLIError("put needs \"seed\": \(Ed25519.seedByteCount * 2) hex digits"))
            }
            // A throwaway key per benchmark value, but a key all the same: the plain copy is wiped.
            defer { secureZero(&bytes) }
            let card = Array((request.card ?? "{}").utf8)
            guard card.count <= AgentRecord.maximumCardBytes,
                (try? JSONSerialization.jsonObject(with: Data(card))) is [String: Any]
            else {
                return refuse(
                    CLIError("put needs \"card\": a JSON object of at most \(AgentRecord.maximumCardBytes) bytes")
                )
            }
            let signer: Ed25519.PrivateKey
            do { signer = try Ed25519.PrivateKey(seed: SecureBytes(bytes)) } catch { return refuse(error) }
            session.driver.startQuery(
                { (core, now) throws(any Error) -> QueryID in
                    let record = try AgentRecord.signed(
                        by: signer,
                        sequence: UInt64(max(0, now.millisecondsSinceEpoch)),
                        issuedAt: now,
                        ttl: core.config.recordTTL,
                        agentCard: card
                    )
                    return try core.publish(record.envelope, key: record.key, now: now)
                },
                completion: describe
            )
        case "get":
            guard let did = request.did else { return refuse(CLIError("get needs \"did\": a did:key")) }
            do { _ = try DIDKey.decode(did) } catch {
                return refuse(CLIError("get needs \"did\": a did:key (\(error))"))
            }
            session.driver.startQuery(
                { (core, now) throws(any Error) -> QueryID in core.getAgentRecord(did: did, now: now) },
                completion: describe
            )
        case "stats":
            Task {
                do {
                    let (contacts, counters, derived) = try await session.statistics()
                    answer([
                        "event": "stats", "contacts": contacts, "pid": Int(getpid()),
                        "sent": counters.sent, "sent_tagged": counters.sentTagged,
                        "received": counters.received, "received_tagged": counters.receivedTagged,
                        "pair_keys_derived": derived,
                    ])
                } catch {
                    refuse(error)
                }
            }
        default:
            refuse(CLIError("unknown op (put, get, stats)"))
        }
    }
}
