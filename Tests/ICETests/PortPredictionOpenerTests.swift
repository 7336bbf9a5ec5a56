import Foundation
import MeshCore
import Testing

@testable import ICE

@Suite("Port prediction: the symmetric side, the hint, and when not to predict")
struct PortPredictionOpenerTests {
    static let remote = ICECredentials(ufrag: "RRRR", pwd: "rrrrrrrrrrrrrrrrrrrrrrrr")

    @Test("the opener asks for 256 sockets, opens each once at the paced rate, and closes them all when unused")
    func openerCaps() throws {
        var agent = ICEAgent(role: .controlling, random: SeededRandom(seed: 3))
        let start = Timestamp(secondsSinceEpoch: 70)
        let host = TransportAddress("192.0.2.34:5000")!
        let srflx = TransportAddress("203.0.113.30:5000")!
        agent.setLocalNAT(PortPredictionAgentTests.symmetricHint)
        agent.addLocalCandidate(Candidate(kind: .host, address: host), now: start)
        agent.setRemote(
            ICEDescription(
                credentials: Self.remote,
                candidates: [Candidate(kind: .serverReflexive, address: srflx)],
                endOfCandidates: true,
                nat: PortPredictionAgentTests.coneHint
            ),
            now: start
        )
        let settings = agent.config.portPrediction
        var opened: [TransportAddress] = []
        var closed: [TransportAddress] = []
        var openings: [(at: Timestamp, from: TransportAddress)] = []
        var failedAt: Timestamp?
        var now = start
        while let next = agent.pollTimeout(), next < start + .seconds(20) {
            now = max(now, next)
            agent.handleTimeout(now: now)
            while let request = agent.pollPortPrediction() {
                switch request {
                case .openSockets(let count, let ip):
                    #expect(count == 256 && ip == host.ip && now == start + settings.startDelay)
                    for k in 0..<count {
                        let socket = TransportAddress(ip: ip, port: UInt16(30_000 + k))
                        if agent.addPredictionSocket(socket, now: now) { opened.append(socket) }
                    }
                case .closeSockets(let list): closed += list
                }
            }
            while let transmit = agent.pollTransmit() {
                guard transmit.from != host else { continue }  // the ordinary checks
                #expect(transmit.to == srflx)
                openings.append((now, transmit.from))
            }
            while let event = agent.pollEvent() { if case .failed = event { failedAt = now } }
        }
        #expect(opened.count == 256)
        #expect(openings.map(\.from) == opened)
        #expect(openings.first?.at == start + settings.startDelay)
        #expect(openings.last?.at == start + settings.startDelay + .milliseconds(2 * 255))
        #expect(Set(closed) == Set(opened))
        #expect(agent.addPredictionSocket(TransportAddress("192.0.2.34:40000")!, now: now) == false)
        // The checklist waited for prediction: it failed only once the unused sockets were closed.
        let closeAt = start + settings.probeDelay + settings.maximumDuration + settings.linger
        let failed = try #require(failedAt)
        #expect(failed >= closeAt)
        #expect(agent.portPredictionStatus.socketsOpened == 256 && agent.portPredictionStatus.packetsSent == 256)
    }

    @Test("no prediction when ordinary checks succeed first, or when both NATs are symmetric")
    func notNeeded() {
        let symmetric = PortPredictionAgentTests.symmetricHint
        let open = ICENATHint(mapping: ICENATHint.endpointIndependent, publicIP: IPAddress("203.0.113.30"))
        var easy = NATPairSimulation(.symmetric, .open, loss: 0, seed: 5, hints: [symmetric, open])
        #expect(easy.run() != nil)
        #expect(easy.agents[0].portPredictionStatus.role == .none)
        #expect(easy.predictionSockets[0].isEmpty)
        let otherSymmetric = ICENATHint(mapping: ICENATHint.endpointDependent, publicIP: IPAddress("203.0.113.30"))
        var hard = NATPairSimulation(.symmetric, .symmetric, loss: 0, seed: 5, hints: [symmetric, otherSymmetric])
        #expect(hard.run() == nil)
        #expect(
            hard.agents.allSatisfy { $0.portPredictionStatus.role == .none && $0.portPredictionStatus.packetsSent == 0 }
        )
    }

    @Test("the prober probes only a public IP the peer also signals as its server-reflexive address")
    func proberTarget() {
        var agent = ICEAgent(role: .controlled, random: SeededRandom(seed: 8))
        let start = Timestamp(secondsSinceEpoch: 90)
        agent.setLocalNAT(PortPredictionAgentTests.coneHint)
        agent.addLocalCandidate(Candidate(kind: .host, address: TransportAddress("192.0.2.18:5000")!), now: start)
        let elsewhere = Candidate(kind: .serverReflexive, address: TransportAddress("203.0.113.99:41000")!)
        agent.setRemote(
            ICEDescription(
                credentials: Self.remote,
                candidates: [elsewhere],
                endOfCandidates: true,
                nat: PortPredictionAgentTests.symmetricHint  // claims 203.0.113.20
            ),
            now: start
        )
        var now = start
        while let next = agent.pollTimeout(), next < start + .seconds(3) {
            now = max(now, next)
            agent.handleTimeout(now: now)
            while let transmit = agent.pollTransmit() { #expect(transmit.to == elsewhere.address) }
        }
        #expect(agent.portPredictionStatus.role == .none && agent.portPredictionStatus.packetsSent == 0)
    }

    @Test("the hint follows the gathering probe: agreeing, disagreeing, no NAT, one answer")
    func hintFromReport() {
        func report(_ natClass: NATClass, varies: Bool?) -> NATReport {
            NATReport(
                udp: true,
                natClass: natClass,
                certainty: varies == nil ? .partial : .full,
                publicAddress: "203.0.113.40:1000",
                mappingVariesByDestination: varies,
                filtering: .unknown,
                servers: []
            )
        }
        #expect(ICENATHint(report: report(.symmetric, varies: true))?.mapping == ICENATHint.endpointDependent)
        #expect(ICENATHint(report: report(.cone, varies: false))?.mapping == ICENATHint.endpointIndependent)
        #expect(ICENATHint(report: report(.open, varies: nil))?.mapping == ICENATHint.endpointIndependent)
        #expect(ICENATHint(report: report(.cone, varies: nil)) == nil)
        #expect(ICENATHint(report: report(.symmetric, varies: true))?.publicIP == "203.0.113.40")
    }

    @Test("descriptions stay compatible: no hint decodes and encodes as before; unknown values are unknown")
    func compatibility() throws {
        let old =
            #"{"credentials":{"ufrag":"AAAA","pwd":"aaaaaaaaaaaaaaaaaaaaaaaa"},"candidates":[],"endOfCandidates":true}"#
        let decoded = try JSONDecoder().decode(ICEDescription.self, from: Data(old.utf8))
        #expect(decoded.nat == nil)
        let encoded = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(!encoded.contains("nat"))
        let newer =
            #"{"credentials":{"ufrag":"AAAA","pwd":"aaaaaaaaaaaaaaaaaaaaaaaa"},"candidates":[],"#
            + #""endOfCandidates":true,"nat":{"mapping":"something-new","public_ip":"not an ip"}}"#
        let hint = try #require(try JSONDecoder().decode(ICEDescription.self, from: Data(newer.utf8)).nat)
        #expect(!hint.isEndpointDependent && !hint.isEndpointIndependent && hint.parsedPublicIP == nil)
    }
}
