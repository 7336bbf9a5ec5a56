import ArgumentParser
import ICE
import MeshCore

/// `meshbench ice`: what one incoming connectivity check costs (decode, FINGERPRINT, HMAC-SHA1, answer) and what
/// the public STUN responder costs per request, against decoding a MeshCore frame of the same size.
struct ICEScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ice",
        abstract: "STUN check and responder rates against a frame-decode baseline."
    )

    @Option(help: "Messages per measurement.") var messages = 50_000

    func run() throws {
        let now = Timestamp(secondsSinceEpoch: 1_000)
        let local = TransportAddress("192.0.2.1:4000")!
        var agentConfig = ICEAgentConfig()
        agentConfig.responseLimit.perKey = TokenRate(perSecond: 1e12, burst: 1e12)
        agentConfig.responseLimit.total = TokenRate(perSecond: 1e12, burst: 1e12)
        var agent = ICEAgent(role: .controlled, config: agentConfig, random: SeededRandom(seed: 1))
        agent.addLocalCandidate(Candidate(kind: .host, address: local), now: now)
        let attributes: [STUNAttribute] = [
            .username("\(agent.localCredentials.ufrag):PEER"), .priority(1_862_270_975), .iceControlling(tieBreaker: 7),
        ]
        let check = STUNMessage(.request, transactionID: [UInt8](repeating: 3, count: 12), attributes: attributes)
            .encoded(integrityKey: Array(agent.localCredentials.pwd.utf8))
        let peers = (0..<64).map { TransportAddress(ip: IPAddress(bytes: [198, 51, 100, UInt8($0)])!, port: 5000) }
        let checkSeconds = Stopwatch.measure {
            for index in 0..<messages {
                blackHole(agent.handleInput(check, from: peers[index % 64], to: local, now: now))
                while let transmit = agent.pollTransmit() { blackHole(transmit) }
                while let event = agent.pollEvent() { blackHole(event) }
            }
        }
        let unlimited = TokenRate(perSecond: 1e12, burst: 1e12)
        var responder = STUNResponder(
            limiter: KeyedRateLimiter(limits: .init(perKey: unlimited, total: unlimited, maximumKeys: 4_096))
        )
        let binding = STUNMessage(.request, transactionID: [UInt8](repeating: 4, count: 12)).encoded()
        let responderSeconds = Stopwatch.measure {
            for index in 0..<messages {
                blackHole(responder.respond(to: binding, from: peers[index % 64], now: now))
            }
        }
        let frame = Frame(type: 1, payload: Array(check.dropFirst(Frame.headerByteCount))).encoded()
        let baselineSeconds = try Stopwatch.measure {
            for _ in 0..<messages { blackHole(try Frame.decode(frame, maximumPayload: 4_096)) }
        }
        var report = BenchReport(scenario: "ice")
        report["messages"] = messages
        report["check_bytes"] = check.count
        report.set("checks_per_s", Double(messages) / checkSeconds)
        report.set("responder_replies_per_s", Double(messages) / responderSeconds)
        report.set("baseline_frame_decodes_per_s", Double(messages) / baselineSeconds)
        report.set("check_ratio", checkSeconds / baselineSeconds)
        report.set("responder_ratio", responderSeconds / baselineSeconds)
        report.printJSON()
    }
}
