import Foundation
import MeshCore
import RelayFallback
import RelayServer
import TestSupport
import Testing

/// What a volunteer operator meets: flags instead of a config file, adverts other machines can reach, metrics
/// off the public port, JSON logs, and an open-file limit that fits the connection limit.
@Suite(.serialized) struct OperatorTests {
    /// Runs `meshpeer relay ARGS` until it exits (bounded: a relay still running at the deadline is killed and the
    /// test fails) and returns its status and stderr.
    func runToExit(_ arguments: [String], deadline: Duration = .seconds(20)) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = RelayProcess.binary
        process.arguments = ["relay"] + arguments
        let log = RelayProcess.temporaryDirectory() + ".stderr"
        defer { try? FileManager.default.removeItem(atPath: log) }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let end = ContinuousClock.now + deadline
        while process.isRunning && ContinuousClock.now < end { usleep(10_000) }
        let running = process.isRunning
        if running {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard !running else { throw TestFailure("the relay kept running: \(stderr)") }
        return (process.terminationStatus, stderr)
    }

    @Test(arguments: [
        (["--dht-listen", "127.0.0.1:0"], "ws://127.0.0.1:", "loopback"),
        (["--advertise", "ws://10.1.2.3:7400/relay"], "ws://10.1.2.3:7400/relay", "private"),
        (["--advertise", "ws://192.168.1.20/relay"], "ws://192.168.1.20/relay", "private"),
        (["--advertise", "wss://[fe80::1]:443/relay"], "wss://[fe80::1]:443/relay", "link-local"),
        (["--advertise", "ws://[::1]:7400/relay"], "ws://[::1]:7400/relay", "loopback"),
        (["--advertise", "wss://relay.localhost/relay"], "wss://relay.localhost/relay", "loopback"),
        (["--advertise", "ws://0.0.0.0:7400/relay"], "ws://0.0.0.0:7400/relay", "unroutable"),
    ])
    func anAdvertOtherMachinesCannotReachIsRefusedOutsideTheLab(
        _ flags: [String],
        _ url: String,
        _ scope: String
    ) async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let result = try runToExit(
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data", data] + flags
                + ["--dht-listen", "127.0.0.1:0"]
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains(url), "\(result.stderr)")
        #expect(result.stderr.contains("is a \(scope) address, not reachable from the internet"), "\(result.stderr)")
        #expect(result.stderr.contains("--lab"), "\(result.stderr)")
        #expect(result.stderr.contains("advertise"), "\(result.stderr)")
    }

    @Test func aWildcardListenAddressNeedsAnAdvert() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let result = try runToExit([
            "--listen", "0.0.0.0:0", "--metrics-listen", "127.0.0.1:0", "--data", data, "--dht-listen", "127.0.0.1:0",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("set --advertise"), "\(result.stderr)")
    }

    @Test func aBadOrBusyMetricsAddressIsAnErrorNamingTheKey() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let bad = try runToExit(["--listen", "127.0.0.1:0", "--data", data, "--metrics-listen", "nowhere"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("metricsListen: nowhere is not host:port"), "\(bad.stderr)")
        let relay = try await RelayProcess.start(dataDirectory: data + "-first")
        defer {
            relay.cleanUp()
            try? FileManager.default.removeItem(atPath: data + "-first")
        }
        let busy = try runToExit([
            "--listen", "127.0.0.1:0", "--data", data, "--metrics-listen", "127.0.0.1:\(relay.metricsPort)",
        ])
        #expect(busy.status == 1)
        #expect(
            busy.stderr.contains("metricsListen: cannot listen on 127.0.0.1:\(relay.metricsPort)"),
            "\(busy.stderr)"
        )
    }

    @Test(arguments: [
        (#"{"limits":{"maximumConnections":-5}}"#, "limits.maximumConnections must be above 0"),
        (#"{"limits":{"connectionsPerSource":0}}"#, "limits.connectionsPerSource must be above 0"),
        (#"{"limits":{"senderEnvelopesPerSecond":0}}"#, "limits.senderEnvelopesPerSecond must be above 0"),
        (#"{"limits":{"defaultTTLSeconds":90000,"maximumTTLSeconds":3600}}"#, "limits.defaultTTLSeconds 90000 is over"),
        (
            #"{"limits":{"mailboxMaximumBytes":1000}}"#,
            "limits.mailboxMaximumBytes 1000 is below limits.maximumEnvelopeBytes"
        ),
        (#"{"limits":{"senderByteBurst":1000}}"#, "limits.senderByteBurst 1000 is below limits.maximumEnvelopeBytes"),
        (#"{"shutdownGraceSeconds":-1}"#, "shutdownGraceSeconds must not be negative"),
        (
            #"{"listen":"127.0.0.1:7500","metricsListen":"127.0.0.1:7500"}"#,
            "metricsListen 127.0.0.1:7500 is the relay's own"
        ),
        (#"{"listen":"127.0.0.1"}"#, "listen: 127.0.0.1 is not host:port"),
    ])
    func anImpossibleConfigIsRefusedNamingTheKey(_ json: String, _ expected: String) async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: URL(fileURLWithPath: data + "/relay.json"))
        let result = try runToExit(["--config", data + "/relay.json", "--data", data])
        #expect(result.status == 1)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func aPublicAdvertNeedsNoLabAndFlagsOverrideTheConfigFile() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // The file says one public URL and no DHT listen address of use; the flags replace both.
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            dht: ["listen": ["127.0.0.1:1"], "advertise": ["wss://from-the-file.example.org/relay"]],
            lab: false,
            arguments: ["--advertise", "wss://relay.example.org/relay", "--dht-listen", "127.0.0.1:0"]
        )
        defer { relay.cleanUp() }
        let dhtPort = try #require(relay.dhtPort)
        #expect(dhtPort != 1)
        let client = try await TestDHTNode(identity: identity(71), bootstrap: dhtPort, readOnly: true)
        var adverts: [RelayAdvert] = []
        try await eventually("the advert is found") {
            adverts = await client.relayAdverts()
            return !adverts.isEmpty
        }
        #expect(adverts.first?.addresses == ["wss://relay.example.org/relay"])
        await client.close()
        #expect(try await relay.terminate().status == 0)
    }

    @Test func dhtFlagsAloneTurnTheDHTNodeOn() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data, arguments: ["--dht-listen", "127.0.0.1:0"])
        defer { relay.cleanUp() }
        #expect(relay.dhtPort != nil, "--dht-listen without a dht object in the file runs the DHT node (in the lab)")
        #expect(try await relay.terminate().status == 0)
    }

    @Test func metricsAreServedOnTheirOwnListenerOnly() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        #expect(relay.metricsPort != relay.port)
        let public404 = try relay.http("/metrics", port: relay.port)
        #expect(public404.status == 404, "the relay's public port does not serve /metrics")
        #expect(!public404.body.contains("meshpeer_relay"))
        let metrics = try relay.http("/metrics", port: relay.metricsPort)
        #expect(metrics.status == 200 && metrics.body.contains("meshpeer_relay_connections"))
        #expect(try relay.http("/healthz", port: relay.metricsPort).status == 200)
        #expect(try relay.http("/healthz", port: relay.port).status == 200)
    }

    @Test func theMetricsListenerIsLoopbackByDefault() async throws {
        let config = try JSONDecoder().decode(
            RelayServerConfiguration.self,
            from: Data(#"{"listen":"0.0.0.0:7400"}"#.utf8)
        )
        #expect(config.effectiveMetricsListen == "127.0.0.1:7401")
        let tests = try JSONDecoder().decode(
            RelayServerConfiguration.self,
            from: Data(#"{"listen":"127.0.0.1:0"}"#.utf8)
        )
        #expect(tests.effectiveMetricsListen == "127.0.0.1:0")
        let set = try JSONDecoder().decode(
            RelayServerConfiguration.self,
            from: Data(#"{"metricsListen":"10.0.0.5:9100","lab":true}"#.utf8)
        )
        #expect(set.effectiveMetricsListen == "10.0.0.5:9100" && set.lab)
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = data + ".stderr"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            arguments: ["--log-format", "json"],
            standardError: log
        )
        defer { relay.cleanUp() }
        #expect(try await relay.terminate().status == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                "not a JSON object: \(line)"
            )
            #expect(object["level"] is String && object["message"] is String && object["label"] is String)
            #expect((object["ts"] as? String)?.hasSuffix("Z") == true, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"message\":\"shutting down\"") })
    }

    /// Raises the soft limit to what `maximumConnections` needs (4,096 + 64 by default) when the hard limit allows.
    @Test func theOpenFileLimitIsRaisedToWhatTheConnectionLimitNeeds() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(
            limit.rlim_max >= 4_160,
            "this test needs a hard limit of at least 4,160 (it is \(limit.rlim_max))"
        )
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = data + ".stderr"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            arguments: ["--log-format", "json"],
            shellPrefix: "ulimit -Sn 512",
            standardError: log
        )
        defer { relay.cleanUp() }
        let limits = try String(contentsOfFile: "/proc/\(relay.process.processIdentifier)/limits", encoding: .utf8)
        let row = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first == "4160", "\(row)")
        #expect(try await relay.terminate().status == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("\"message\":\"open-file limit raised\""), "\(text)")
        #expect(text.contains("\"was\":\"512\"") && text.contains("\"soft\":\"4160\""), "\(text)")
    }

    @Test func aHardLimitTooLowIsSaidWithTheNumbers() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = data + ".stderr"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            arguments: ["--log-format", "json"],
            shellPrefix: "ulimit -n 300",
            standardError: log
        )
        defer { relay.cleanUp() }
        #expect(try await relay.terminate().status == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains("open-file limit") })
        #expect(line.contains("\"level\":\"warning\""), "\(line)")
        #expect(line.contains("\"hard\":\"300\"") && line.contains("\"needed\":\"4160\""), "\(line)")
        #expect(line.contains("LimitNOFILE"), "\(line)")
    }

    @Test func advertScopes() {
        let expected: [(String, AdvertScope)] = [
            ("wss://relay.example.org/relay", .global), ("ws://8.8.8.8:7400/relay", .global),
            ("ws://[2606:4700::1111]/relay", .global), ("ws://127.0.0.2/relay", .loopback),
            ("ws://localhost:7400/relay", .loopback), ("ws://[::1]/relay", .loopback),
            ("ws://[::ffff:127.0.0.1]/relay", .loopback), ("ws://10.0.0.1/relay", .private),
            ("ws://172.16.0.1/relay", .private), ("ws://172.32.0.1/relay", .global),
            ("ws://192.168.0.1/relay", .private), ("ws://100.64.0.1/relay", .private),
            ("ws://[fd00::1]/relay", .private), ("ws://relay.lan/relay", .private), ("ws://relay/relay", .private),
            ("ws://169.254.1.1/relay", .linkLocal), ("ws://[fe80::1]/relay", .linkLocal),
            ("ws://0.0.0.0/relay", .unroutable), ("ws://[::]/relay", .unroutable),
            ("ws://224.0.0.1/relay", .unroutable),
            ("ws://192.0.2.1/relay", .unroutable), ("ws://[2001:db8::1]/relay", .unroutable),
        ]
        for (url, scope) in expected {
            #expect(AdvertScope.of(url: url) == scope, "\(url)")
            #expect((AdvertScope.refusal(url: url) == nil) == (scope == .global), "\(url)")
        }
        #expect(AdvertScope.isLab(listen: ["127.0.0.1:0"]) && AdvertScope.isLab(listen: ["10.0.0.2:4646"]))
        #expect(!AdvertScope.isLab(listen: ["0.0.0.0:0"]) && !AdvertScope.isLab(listen: ["127.0.0.1:0", "[::]:0"]))
        #expect(!AdvertScope.isLab(listen: []) && !AdvertScope.isLab(listen: ["203.0.114.7:4646"]))
    }

    /// Started with a soft limit of 1,024 (a common default), the relay raises it and holds 4,096 open connections
    /// from one test client, and still serves a new one.
    @Test func theRelayHolds4096ConnectionsStartedUnderASoftLimitOf1024() async throws {
        var own = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &own)
        try #require(own.rlim_max >= 4_096 + 4_160, "needs a hard limit of 8,256 for both ends (it is \(own.rlim_max))")
        if own.rlim_cur < 4_096 + 256 {
            own.rlim_cur = rlim_t(4_096 + 256)
            try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &own) == 0)
        }
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            limits: ["connectionsPerSource": 4_096, "authenticationTimeoutSeconds": 300],
            shellPrefix: "ulimit -Sn 1024"
        )
        defer { relay.cleanUp() }
        let fdDirectory = "/proc/\(relay.process.processIdentifier)/fd"
        // Thousands of blocking connects and reads run on a thread of their own, not on the concurrency pool
        // that the other tests' clients share.
        let (held, healthz, open) = try await offThePool { () throws -> (Int, Int, Int) in
            let baseline = try FileManager.default.contentsOfDirectory(atPath: fdDirectory).count
            var sockets: [Int32] = []
            defer { for fd in sockets { close(fd) } }
            for _ in 0..<4_096 { sockets.append(try connectTCP(port: relay.port, receiveTimeoutSeconds: 5)) }
            let end = ContinuousClock.now + .seconds(30)
            var held = 0
            repeat {
                held = try FileManager.default.contentsOfDirectory(atPath: fdDirectory).count - baseline
                if held >= 4_096 { break }
                usleep(10_000)
            } while ContinuousClock.now < end
            let healthz = try relay.http("/healthz").status
            var peek: UInt8 = 0
            let open = sockets.filter { fd in
                var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                return Glibc.poll(&poll, 1, 0) == 0 || recv(fd, &peek, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) != 0
            }
            return (held, healthz, open.count)
        }
        #expect(held >= 4_096, "the relay holds all 4,096 connections")
        #expect(healthz == 200, "a new connection is still served")
        #expect(open == 4_096, "none of them was closed by the relay")
        #expect(try await relay.terminate().status == 0)
    }
}
