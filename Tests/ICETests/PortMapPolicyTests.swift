import ICE
import MeshCore
import Testing

/// When the node asks its gateway for a mapping (`PortMapPolicy`), with the time injected.
@Suite struct PortMapPolicyTests {
    let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    @Test func unknownAsksEveryMethodInOrder() {
        let policy = PortMapPolicy()
        #expect(policy.decide(now: start) == .ask([.pcp, .natPMP, .upnpIGD]))
        #expect(!policy.knownToMap)
    }

    @Test func anOutstandingProbeIsWaitedForAndStartsOnce() {
        var policy = PortMapPolicy()
        let first = policy.startProbe()
        let second = policy.startProbe()
        #expect(first)
        #expect(!second, "one probe at a time")
        #expect(policy.decide(now: start) == .waitForProbe)
        policy.probeEnded(mapped: .natPMP, now: start)
        #expect(policy.decide(now: start) == .ask([.natPMP]))
        #expect(policy.knownToMap)
        let again = policy.startProbe()
        #expect(!again, "nothing left to learn")
    }

    @Test func aFailedProbeTurnsMappingOffForTheRetryTimeThenAsksAgain() {
        var policy = PortMapPolicy(retryAfter: .seconds(600))
        _ = policy.startProbe()
        policy.probeEnded(mapped: nil, now: start)
        #expect(policy.decide(now: start + .seconds(599)) == .refuse("no mapping gateway (tried recently)"))
        #expect(policy.decide(now: start + .seconds(600)) == .ask(PortMapMethod.allCases))
    }

    @Test func anAttemptsVerdictIsNotOverwrittenByALateProbe() {
        var policy = PortMapPolicy()
        _ = policy.startProbe()
        policy.granted(by: .pcp)
        policy.probeEnded(mapped: nil, now: start)
        #expect(policy.decide(now: start) == .ask([.pcp]))
        #expect(!policy.probing)
    }

    @Test func anAttemptWaitsForItsMappingOnlyWhereTheGatewayIsKnownToMap() {
        var policy = PortMapPolicy()
        #expect(policy.patience(budget: .milliseconds(1_500)) == .milliseconds(100))
        policy.granted(by: .pcp)
        #expect(policy.patience(budget: .milliseconds(1_500)) == .milliseconds(1_500))
        policy.failed(now: start)
        #expect(policy.patience(budget: .milliseconds(1_500)) == .milliseconds(100))
    }

    @Test func aMethodThatStopsWorkingIsForgottenAfterTheRetryTime() {
        var policy = PortMapPolicy(retryAfter: .seconds(60))
        policy.granted(by: .upnpIGD)
        #expect(policy.decide(now: start) == .ask([.upnpIGD]))
        policy.failed(now: start)
        #expect(!policy.knownToMap)
        #expect(policy.decide(now: start + .seconds(30)) == .refuse("no mapping gateway (tried recently)"))
        #expect(policy.decide(now: start + .seconds(61)) == .ask(PortMapMethod.allCases))
    }
}
