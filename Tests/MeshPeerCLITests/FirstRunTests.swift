import Foundation
import TestSupport
import Testing

/// What a newcomer meets on a first run: no identity yet, the built-in bootstrap list, a network of one.
@Suite struct FirstRunTests {
    let cli = CLITests()

    /// The repository root (this file is Tests/MeshPeerCLITests/FirstRunTests.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(arguments: [
        ["id"], ["id", "--json"], ["dht", "serve", "--listen", "127.0.0.1:0"],
        ["dht", "put", "--card", "card.json", "--listen", "127.0.0.1:0"], ["run"],
    ])
    func everyCommandThatNeedsAnIdentitySaysToRunInit(_ arguments: [String]) throws {
        let home = cli.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: home + "/card.json"))
        let result = try cli.run(
            arguments.map { $0 == "card.json" ? home + "/card.json" : $0 } + ["--home", home]
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains("no identity in \(home)"), "\(result.stderr)")
        #expect(result.stderr.contains("run `meshpeer init`"), "\(result.stderr)")
        #expect(!result.stderr.contains("does not exist"), "\(result.stderr)")
    }

    @Test func theBuiltInBootstrapListIsTheRepositorysFileByteForByte() throws {
        let file = try Data(contentsOf: Self.repository.appendingPathComponent("bootstrap-nodes.json"))
        let shown = try cli.run(["dht", "bootstrap-nodes", "--built-in"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(
            Data(shown.stdout.utf8) == file,
            "bootstrap-nodes.json changed: copy it into Sources/KademliaDriver/BootstrapList+BuiltIn.swift unchanged"
        )
        let home = cli.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let used = try cli.run(["dht", "bootstrap-nodes", "--json", "--home", home])
        #expect(used.status == 0, "\(used.stderr)")
        #expect(used.stdout.contains("\"source\":\"the built-in list\""), "\(used.stdout)")
    }

    @Test func theDataDirectorysListOverridesTheBuiltInOne() throws {
        let home = cli.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let list = #"{"version":1,"nodes":[{"address":"dht.example.org:4646","operator":"a volunteer"}]}"#
        try Data(list.utf8).write(to: URL(fileURLWithPath: home + "/bootstrap-nodes.json"))
        let used = try cli.run(["dht", "bootstrap-nodes", "--json", "--home", home])
        #expect(used.status == 0, "\(used.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(used.stdout.utf8)) as? [String: Any])
        #expect(json["source"] as? String == home + "/bootstrap-nodes.json")
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["address"] as? String } == ["dht.example.org:4646"])
    }

    @Test(arguments: [
        (#"{"version":1,"nodes":[{"adress":"dht.example.org:4646"}]}"#, "nodes[0]: unknown key(s) adress"),
        (#"{"version":1,"nodes":[{"note":"no address"}]}"#, "nodes[0].address: missing"),
        (#"{"version":2,"nodes":[]}"#, "version 2 is not 1"),
        (#"{"version":1,"nodes":[{"address":"no-port"}]}"#, "nodes[0].address: no-port is not host:port"),
        (#"{"version":1,"nodes":[{"address":"a:1","node_id":"beef"}]}"#, "nodes[0].node_id beef is not 64 hex"),
        (#"{"version":1,"nodes":{}}"#, "nodes: expected"),
        (#"{"version":1,"nodes":[],"extra":true}"#, "unknown key(s) extra"),
        ("not json", "not JSON"),
    ])
    func aBadBootstrapListIsAClearErrorNamingThePlace(_ text: String, _ expected: String) throws {
        let home = cli.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: home + "/bootstrap-nodes.json"))
        let result = try cli.run(["dht", "bootstrap-nodes", "--home", home])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("\(home)/bootstrap-nodes.json is not a valid bootstrap list"),
            "\(result.stderr)"
        )
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func aLookupWithNoBootstrapNodeAtAllSaysSoAtOnce() throws {
        let home = cli.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let started = ContinuousClock.now
        let result = try cli.run(["dht", "providers", "translate", "--home", home, "--listen", "127.0.0.1:0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no bootstrap nodes to ask"), "\(result.stderr)")
        #expect(ContinuousClock.now - started < .seconds(4), "it does not wait for an answer nobody can give")
    }

    /// `dht serve --publish-card` on a fresh network: it keeps running alone, says so, and publishes when a peer
    /// joins through it. The waiting runs off the concurrency pool; what it saw is checked here.
    @Test func theFirstNodeRunsAloneAndPublishesWhenAPeerJoins() async throws {
        let cli = cli
        let (initStatus, alone, runningAlone, published) = try await offThePool {
            () throws -> (Int32, String, Bool, Int) in
            let home = cli.temporaryHome()
            defer { try? FileManager.default.removeItem(atPath: home) }
            let initStatus = try cli.run(["init", "--home", home]).status
            let card = home + "/card.json"
            try Data(#"{"name":"first"}"#.utf8).write(to: URL(fileURLWithPath: card))
            let first = try ServeProcess([
                "dht", "serve", "--home", home, "--listen", "127.0.0.1:0", "--json", "--publish-card", card,
            ])
            defer { first.stop() }
            let listening = try first.waitForEvent("listening")
            guard let address = (listening["addresses"] as? [String])?.first else {
                throw CLITestFailure("no address in \(listening)")
            }
            let alone = try first.waitForEvent("alone", deadline: .seconds(20))
            let runningAlone = first.process.isRunning
            let second = try ServeProcess([
                "dht", "serve", "--ephemeral", "--listen", "127.0.0.1:0", "--bootstrap", address,
            ])
            defer { second.stop() }
            _ = try first.waitForEvent("peer-joined")
            let published = try first.waitForEvent("published")
            return (initStatus, alone["message"] as? String ?? "", runningAlone, published["accepted"] as? Int ?? 0)
        }
        #expect(initStatus == 0)
        #expect(alone.contains("first node of a network"), "\(alone)")
        #expect(runningAlone, "it keeps running alone")
        #expect(published >= 1, "the record reached the peer that joined")
    }

    /// `meshpeer run` with no bootstrap node at all says it is the first node of a network, and keeps running.
    @Test func theFirstNodeRunSaysItStartsAlone() async throws {
        let cli = cli
        let (initStatus, line, running) = try await offThePool { () throws -> (Int32, String, Bool) in
            let home = cli.temporaryHome()
            defer { try? FileManager.default.removeItem(atPath: home) }
            let initStatus = try cli.run(["init", "--home", home]).status
            let node = try ServeProcess(
                ["run", "--home", home, "--listen", "127.0.0.1:0", "--log-level", "notice"],
                readStandardError: true
            )
            defer { node.stop() }
            let line = try node.waitForLine(containing: "starting alone as the first node of a network")
            return (initStatus, line, node.process.isRunning)
        }
        #expect(initStatus == 0)
        #expect(line.contains("published when a peer joins"), "\(line)")
        #expect(running)
    }
}
