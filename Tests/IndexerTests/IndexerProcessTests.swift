import Foundation
import Indexer
import Kademlia
import KademliaDriver
import MeshCore
import MeshNode
import MeshPeer
import NIOPosix
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `meshpeer indexer` against `meshpeer dht serve` agents on loopback: cards appear in search, an edited card is
/// updated, a stopped agent disappears after its TTL, and a node lying about its record never gets the lie in.
@Suite(.serialized) struct IndexerProcessTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    @Test func agentsAppearUpdateAndExpireAndLiesNeverAppear() async throws {
        let run = try ProcessRun()
        defer { run.cleanUp() }
        let bootstrap = try run.start(
            "bootstrap",
            ["dht", "serve", "--ephemeral", "--listen", "127.0.0.1:0", "--json"]
        )
        let seed = try await run.address(of: bootstrap)

        // Three agents with a word each, and one (on a fixed port) whose card is edited later.
        let words = ["quokka", "narwhal", "axolotl"]
        var agents: [ChildProcess] = []
        for word in words {
            let home = try run.initHome(word)
            let card = try run.card(home: home, word: word)
            agents.append(try run.start("agent-\(word)", run.agentArguments(seed: seed, card: card, home: home)))
        }
        let editHome = try run.initHome("editable")
        let editPort = try run.freeUDPPort()
        let editable = try run.start(
            "agent-editable",
            run.agentArguments(
                seed: seed,
                card: run.card(home: editHome, word: "pangolin"),
                home: editHome,
                port: editPort
            )
        )
        // The liar: a genuine record first, so there is something for the lies to try to replace.
        let liarKey = Ed25519.PrivateKey()
        let liar = try await LyingDHTNode(key: liarKey, group: Self.group)
        defer { Task { await liar.close() } }
        let genuine = try run.liarRecord(liarKey, sequence: 1_000, word: "wombat")
        liar.serve.withLock { $0 = [genuine.envelope] }
        try await liar.join(TransportAddress.resolve(seed))

        let indexer = try run.start(
            "indexer",
            [
                "indexer", "--database", run.root + "/indexer.sqlite", "--bootstrap", seed, "--http", "127.0.0.1:0",
                "--rate", "200", "--revisit", "1",
            ]
        )
        let listening = try await indexer.waitForEvent("listening", as: Listening.self, timeout: .seconds(30))
        let api = listening.http

        // Every agent's word finds it within 60 s.
        for word in words + ["pangolin", "wombat"] {
            _ = try await eventually("search for \(word)", timeout: .seconds(60), every: .milliseconds(500)) {
                try await run.search(api, word).isEmpty ? nil : true
            }
        }
        let wombat = try await run.search(api, "wombat")
        #expect(wombat.map(\.did) == [liarKey.publicKey.did])

        // The liar now serves a stale record, a replay of its sequence with other words, and a forgery.
        let stale = try run.liarRecord(liarKey, sequence: 999, word: "stalemate")
        let replay = try run.liarRecord(liarKey, sequence: 1_000, word: "replayed")
        var forged = try run.liarRecord(liarKey, sequence: 5_000, word: "forgery").envelope
        if let index = forged.bytes.indices.first(where: { forged.bytes[$0...].starts(with: Array("forgery".utf8)) }) {
            forged.bytes.replaceSubrange(index..<index + 7, with: Array("forgerx".utf8))
        }
        liar.serve.withLock { $0 = [stale.envelope, replay.envelope, forged] }

        // Edit: restart the editable agent with a new card on the same key and port.
        _ = await editable.stop()
        let edited = try run.start(
            "agent-edited",
            run.agentArguments(
                seed: seed,
                card: run.card(home: editHome, word: "capybara"),
                home: editHome,
                port: editPort
            )
        )
        _ = try await eventually("the edited card", timeout: .seconds(60), every: .milliseconds(500)) {
            try await run.search(api, "capybara").isEmpty ? nil : true
        }
        #expect(try await run.search(api, "pangolin").isEmpty, "the old card's word is gone")

        // Stop one agent: it disappears after its TTL (8 s) and the sweep.
        let stoppedDID = try #require(try await run.search(api, "quokka").first?.did)
        agents[0].kill()
        _ = try await eventually("the stopped agent to expire", timeout: .seconds(40), every: .milliseconds(500)) {
            try await run.status(api, "/v1/agents/\(stoppedDID)") == 404 ? true : nil
        }
        #expect(try await run.search(api, "quokka").isEmpty)

        // By now the liar has been asked many times; none of its lies got in, and its genuine record stays.
        for word in ["stalemate", "replayed", "forgery", "forgerx"] {
            #expect(try await run.search(api, word).isEmpty, "\(word) must never appear")
        }
        #expect(try await run.search(api, "wombat").map(\.did) == [liarKey.publicKey.did])
        // The stale and replayed records did reach the mirror, and it refused them (the forgery never got past the
        // DHT core's signature check).
        struct Stats: Decodable { var ingested: [String: Int] }
        let (statsData, _) = try await URLSession.shared.data(from: URL(string: "\(api)/v1/stats")!)
        #expect(try JSONDecoder().decode(Stats.self, from: statsData).ingested["stale", default: 0] >= 2)
        // Bad input over HTTP: 400s, never 500s.
        #expect(try await run.status(api, "/v1/search?q=x&cursor=zzz") == 400)
        #expect(try await run.status(api, "/v1/search?q=x&limit=abc") == 400)
        #expect(try await run.status(api, "/v1/search?q=%22%20OR%20NEAR(") == 200)
        #expect(try await run.status(api, "/v1/agents/notadid") == 400)
        #expect(try await run.status(api, "/healthz") == 200)
        #expect(try await run.status(api, "/metrics") == 200)

        #expect(await indexer.stop() == 0, "graceful shutdown on SIGTERM")
        for agent in agents + [edited, bootstrap] { await agent.stop() }
    }

    struct Listening: Decodable { var http: String }
}

/// One test's processes, files and HTTP calls.
struct ProcessRun: Sendable {
    let root: String
    let binary: String
    let children = LockedValue<[ChildProcess]>([])

    init() throws {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("meshpeer").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        binary = directory.appendingPathComponent("meshpeer").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ConfigurationError("no meshpeer binary at \(binary): build it first (swift build --build-tests)")
        }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("indexer-proc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func start(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let child = try ChildProcess(
            name: name,
            executable: binary,
            arguments: arguments,
            logPath: "\(root)/\(name).log"
        )
        children.withLock { $0.append(child) }
        return child
    }

    func cleanUp() {
        for child in children.withLock({ $0 }) { child.kill() }
        try? FileManager.default.removeItem(atPath: root)
    }

    func address(of node: ChildProcess) async throws -> String {
        struct Line: Decodable { var addresses: [String] }
        let line = try await node.waitForEvent("listening", as: Line.self, timeout: .seconds(30))
        guard let address = line.addresses.first else { throw ConfigurationError("no address") }
        return address
    }

    func initHome(_ name: String) throws -> String {
        let home = "\(root)/\(name)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["init", "--home", home]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ConfigurationError("init failed") }
        return home
    }

    func freeUDPPort() throws -> Int {
        let socket = try DatagramBootstrap(group: IndexerProcessTests.group).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? socket.close().wait() }
        return socket.localAddress?.port ?? 0
    }

    /// A card signed by the key in `home` (discovery and the indexer refuse unsigned cards, decision 0080).
    func card(home: String, word: String) throws -> String {
        let identity = try Keystore(home: home).loadIdentity(passphrase: nil)
        var card = AgentCard.defaultCard(name: "\(word) helper", did: identity.did)
        card.description = "Answers every question about the \(word)."
        card.skills = [AgentSkill(id: "\(word)-facts", name: "\(word) facts", description: "Facts.", tags: [word])]
        let path = "\(root)/card-\(word).json"
        try Data(try AgentProfile.signedCompactCard(card, identity: identity)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func agentArguments(seed: String, card: String, home: String? = nil, port: Int = 0) -> [String] {
        (home.map { ["dht", "serve", "--home", $0] } ?? ["dht", "serve", "--ephemeral"]) + [
            "--listen", "127.0.0.1:\(port)", "--bootstrap", seed, "--publish-card", card, "--record-ttl", "8",
            "--republish", "2", "--json",
        ]
    }

    func liarRecord(_ key: Ed25519.PrivateKey, sequence: UInt64, word: String) throws -> AgentRecord {
        var card = AgentCard.defaultCard(name: "\(word) agent", did: key.publicKey.did)
        card.description = "The \(word) agent."
        return try AgentRecord.signed(
            by: key,
            sequence: sequence,
            issuedAt: SystemClock().now(),
            ttl: .seconds(600),
            agentCard: AgentProfile.signedCompactCard(card, identity: AgentIdentity(signingKey: key))
        )
    }

    struct Hit: Decodable { var did: String }
    struct Page: Decodable { var results: [Hit] }

    func search(_ api: String, _ word: String) async throws -> [Hit] {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "\(api)/v1/search?q=\(word)")!)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw ConfigurationError("search: \(response)") }
        return try JSONDecoder().decode(Page.self, from: data).results
    }

    func status(_ api: String, _ path: String) async throws -> Int {
        let (_, response) = try await URLSession.shared.data(from: URL(string: api + path)!)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
