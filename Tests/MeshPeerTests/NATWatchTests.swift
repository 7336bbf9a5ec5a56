import MeshCore
import Testing

@testable import ICE
@testable import MeshPeer

/// When the node classifies its NAT and whom it asks (decision 0101), on an injected clock.
@Suite struct NATWatchTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func address(_ text: String) -> TransportAddress { TransportAddress(text)! }

    func report(answered: Int, natClass: NATClass = .open) -> NATReport {
        let servers = (0..<2).map {
            NATReport.ServerResult(server: "192.0.2.\($0 + 1):4646", mapped: $0 < answered ? "198.51.100.1:5" : nil)
        }
        return NATReport(
            udp: answered > 0,
            natClass: natClass,
            certainty: .of(answered: answered),
            publicAddress: answered > 0 ? "198.51.100.1:5" : nil,
            mappingVariesByDestination: nil,
            filtering: .unknown,
            servers: servers
        )
    }

    let one = [TransportAddress("192.0.2.1:4646")!]
    let two = [TransportAddress("192.0.2.1:4646")!, TransportAddress("192.0.2.2:4646")!]

    @Test func itProbesAtStartThenEveryHalfHour() throws {
        var watch = NATWatch(now: start)
        let first = watch.begin(now: start, candidates: two)
        #expect(first == two)
        // Running: no second probe.
        let again = watch.begin(now: start + .seconds(1), candidates: two)
        #expect(again == nil)
        watch.finish(report(answered: 2), now: start + .seconds(6))
        #expect(watch.nextCheck == start + .seconds(6) + NATWatch.interval)
        let early = watch.begin(now: start + .seconds(1_805), candidates: two)
        #expect(early == nil)
        let due = watch.begin(now: start + .seconds(1_806), candidates: two)
        #expect(due != nil)
    }

    @Test func atStartItWaitsBrieflyForASecondServer() {
        var watch = NATWatch(now: start)
        let alone = watch.begin(now: start, candidates: one)
        #expect(alone == nil)
        #expect(watch.nextCheck == start + .seconds(2))
        let joined = watch.begin(now: start + .seconds(2), candidates: two)
        #expect(joined == two)
        // After the grace, one server is asked (and its partial answer is retried a minute later).
        var late = NATWatch(now: start)
        let single = late.begin(now: start + NATWatch.startupGrace, candidates: one)
        #expect(single == one)
        late.finish(report(answered: 1, natClass: .cone), now: start + .seconds(40))
        #expect(late.nextCheck == start + .seconds(40) + NATWatch.retryInterval)
    }

    @Test func withNobodyToAskOrNoAnswerItTriesAgainSooner() {
        var watch = NATWatch(now: start)
        let nobody = watch.begin(now: start + NATWatch.startupGrace, candidates: [])
        #expect(nobody == nil)
        #expect(watch.nextCheck == start + NATWatch.startupGrace + NATWatch.retryInterval)
        let early = watch.begin(now: start + .seconds(89), candidates: two)
        #expect(early == nil)
        let due = watch.begin(now: start + .seconds(90), candidates: two)
        #expect(due != nil)
        watch.finish(report(answered: 0, natClass: .noAnswer), now: start + .seconds(96))
        #expect(watch.nextCheck == start + .seconds(96) + NATWatch.retryInterval)
        #expect(watch.status(format: { _ in "t" })?.certainty == "none")
        var failed = NATWatch(now: start)
        _ = failed.begin(now: start, candidates: two)
        failed.failed(now: start + .seconds(1))
        #expect(failed.nextCheck == start + .seconds(1) + NATWatch.retryInterval)
    }

    @Test func itAsksAtMostFourIPv4ServersDifferentAddressesFirst() throws {
        var watch = NATWatch(now: start)
        let candidates = [
            address("192.0.2.1:1"), address("192.0.2.1:1"), address("192.0.2.1:2"), address("[2001:db8::1]:3"),
            address("192.0.2.2:1"), address("192.0.2.3:1"), address("192.0.2.4:1"), address("192.0.2.5:1"),
            address("192.0.2.6:0"),
        ]
        let began8 = watch.begin(now: start, candidates: candidates)
        let servers = try #require(began8)
        #expect(servers == ["192.0.2.1:1", "192.0.2.2:1", "192.0.2.3:1", "192.0.2.4:1"].map(address))
        // One IP only: its ports are used.
        var single = NATWatch(now: start + .seconds(-60))
        let began9 = single.begin(now: start, candidates: [address("127.0.0.1:5"), address("127.0.0.1:6")])
        let ports = try #require(began9)
        #expect(ports.count == 2)
    }

    @Test func theStatusSaysWhatWasMeasuredAndWhen() {
        var watch = NATWatch(now: start)
        #expect(watch.status(format: { _ in "t" }) == nil)
        _ = watch.begin(now: start, candidates: [address("192.0.2.1:1"), address("192.0.2.2:1")])
        watch.finish(report(answered: 1, natClass: .cone), now: start + .seconds(5))
        let status = watch.status(format: { "at \($0.secondsSinceEpoch)" })
        #expect(
            status
                == NATStatus(
                    natClass: "cone",
                    certainty: "partial",
                    publicAddress: "198.51.100.1:5",
                    serversAsked: 2,
                    serversAnswered: 1,
                    measuredAt: "at 1800000005"
                )
        )
    }
}
