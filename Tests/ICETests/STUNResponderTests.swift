import MeshCore
import Testing

@testable import ICE

@Suite("STUN responder and rate limiting")
struct STUNResponderTests {
    let now = Timestamp(secondsSinceEpoch: 100)
    let client = TransportAddress("198.51.100.7:40001")!
    let id = [UInt8](repeating: 9, count: 12)

    @Test("a Binding request gets exactly XOR-MAPPED-ADDRESS and FINGERPRINT, at most 12 bytes more than asked")
    func minimal() throws {
        var responder = STUNResponder()
        let request = STUNMessage(.request, transactionID: id).encoded(fingerprint: true)
        let answer = responder.respond(to: request, from: client, now: now)
        let reply = try #require(answer)
        let decoded = try STUNMessage.decode(reply.bytes)
        #expect(decoded.message.attributes == [.xorMappedAddress(client)])
        #expect(decoded.message.transactionID == id && decoded.hasFingerprint)
        #expect(reply.origin == .same)
        #expect(reply.bytes.count == request.count + 12)
    }

    @Test("responses, indications and garbage get nothing")
    func ignores() {
        var responder = STUNResponder()
        let response = STUNMessage(.successResponse, transactionID: id).encoded()
        #expect(responder.respond(to: response, from: client, now: now) == nil)
        #expect(responder.respond(to: [0, 1, 0, 0], from: client, now: now) == nil)
        #expect(responder.respond(to: RFC5769.request.map { $0 ^ 0x01 }, from: client, now: now) == nil)
    }

    @Test("CHANGE-REQUEST: 420 without alternates, a changed origin and OTHER-ADDRESS with them")
    func changeRequest() throws {
        let change = STUNAttribute.other(type: STUNResponder.changeRequestType, value: [0, 0, 0, 6])
        let request = STUNMessage(.request, transactionID: id, attributes: [change]).encoded()
        var plain = STUNResponder()
        let refusal = plain.respond(to: request, from: client, now: now)
        let refused = try STUNMessage.decode(try #require(refusal).bytes)
        #expect(refused.message.errorCode == 420)
        var alternate = STUNResponder(otherAddress: TransportAddress("203.0.113.2:3479")!)
        let answer = alternate.respond(to: request, from: client, now: now)
        let reply = try #require(answer)
        #expect(reply.origin == .changedAddressAndPort)
        #expect(try STUNMessage.decode(reply.bytes).message.xorMappedAddress == client)
    }

    @Test("a flood from one source is cut to the burst, others still get answers, and refills over time")
    func rateLimit() {
        var responder = STUNResponder()
        let request = STUNMessage(.request, transactionID: id).encoded()
        let answered = (0..<100).filter { _ in responder.respond(to: request, from: client, now: now) != nil }.count
        #expect(answered == 40)
        #expect(responder.dropped == 60)
        let other = TransportAddress("198.51.100.8:1")!
        let otherAnswer = responder.respond(to: request, from: other, now: now)
        let refilled = responder.respond(to: request, from: client, now: now + .milliseconds(100))
        #expect(otherAnswer != nil && refilled != nil)
    }

    @Test("the per-source table is bounded")
    func boundedTable() {
        var limits = KeyedRateLimiter<IPAddress>.Limits.stunResponses
        limits.maximumKeys = 16
        var limiter = KeyedRateLimiter<IPAddress>(limits: limits)
        for i in 0..<200 {
            _ = limiter.allow(IPAddress(bytes: [198, 51, 100, UInt8(i)])!, now: now + .milliseconds(Int64(i)))
        }
        #expect(limiter.trackedKeys == 16)
    }
}

@Suite("NAT classification")
struct NATClassificationTests {
    let local = [TransportAddress("192.0.2.10:5000")!]
    let a = TransportAddress("203.0.113.1:5000")!
    let b = TransportAddress("203.0.113.1:6123")!

    @Test("classic names from mapping and filtering behaviour")
    func classes() {
        #expect(NATClass.classify(localAddresses: local, mapped: [], filtering: .unknown) == .noAnswer)
        #expect(NATClass.classify(localAddresses: local, mapped: local, filtering: .unknown) == .open)
        #expect(NATClass.classify(localAddresses: local, mapped: local, filtering: .endpointIndependent) == .open)
        // No NAT, but only peers we sent to get in: a stateful firewall (the IPv6 lab's home routers).
        #expect(
            NATClass.classify(localAddresses: local, mapped: local, filtering: .addressAndPortDependent) == .firewalled
        )
        #expect(NATClass.classify(localAddresses: local, mapped: local, filtering: .addressDependent) == .firewalled)
        #expect(NATClass.firewalled.isUntranslated && NATClass.open.isUntranslated)
        #expect(!NATClass.portRestricted.isUntranslated)
        #expect(
            NATClass.classify(localAddresses: local, mapped: [a, b], filtering: .addressAndPortDependent) == .symmetric
        )
        #expect(NATClass.classify(localAddresses: local, mapped: [a, a], filtering: .endpointIndependent) == .fullCone)
        #expect(
            NATClass.classify(localAddresses: local, mapped: [a, a], filtering: .addressDependent) == .restrictedCone
        )
        #expect(
            NATClass.classify(localAddresses: local, mapped: [a], filtering: .addressAndPortDependent)
                == .portRestricted
        )
        #expect(NATClass.classify(localAddresses: local, mapped: [a], filtering: .unknown) == .cone)
    }

    @Test("the probe runs mapping then filtering tests against responders and reports a full cone")
    func probeFullCone() throws {
        var now = Timestamp(secondsSinceEpoch: 5)
        let servers = [TransportAddress("203.0.113.50:3478")!, TransportAddress("203.0.113.60:3478")!]
        var responders = servers.map { _ in STUNResponder(otherAddress: TransportAddress("203.0.113.51:3479")!) }
        var probe = NATProbe(servers: servers, random: SeededRandom(seed: 1))
        probe.start(now: now)
        for _ in 0..<20 {
            while let (to, bytes) = probe.pollTransmit() {
                // The hairpin request to our own public address is lost: this NAT does not hairpin.
                guard let index = servers.firstIndex(of: to) else { continue }
                if let reply = responders[index].respond(to: bytes, from: a, now: now) {
                    let matched = probe.handleInput(reply.bytes, from: to, now: now)
                    #expect(matched)
                }
            }
            guard let next = probe.pollTimeout() else { break }
            now = next
            probe.handleTimeout(now: now)
        }
        #expect(probe.isFinished)
        let report = probe.report(localAddresses: local)
        #expect(report.natClass == .fullCone)
        #expect(report.mappingVariesByDestination == false)
        #expect(report.publicAddress == a.description)
        #expect(report.hairpinning == false)
    }

    @Test("no answers at all: UDP blocked, after a bounded time")
    func probeBlocked() {
        var now = Timestamp(secondsSinceEpoch: 5)
        let start = now
        var probe = NATProbe(servers: [TransportAddress("203.0.113.50:3478")!], random: SeededRandom(seed: 1))
        probe.start(now: now)
        var sent = 0
        for _ in 0..<50 {
            while probe.pollTransmit() != nil { sent += 1 }
            guard let next = probe.pollTimeout() else { break }
            now = next
            probe.handleTimeout(now: now)
        }
        #expect(probe.isFinished)
        #expect(sent == 4)
        #expect(now - start == .milliseconds(2_500))
        // Silence is reported as silence, with no certainty, not as a NAT class (issue 16).
        #expect(probe.report(localAddresses: local).natClass == .noAnswer)
        #expect(probe.report(localAddresses: local).certainty == NATCertainty.none)
        #expect(!probe.report(localAddresses: local).udp)
    }

    @Test func certaintyFollowsHowManyServersAnswered() {
        #expect(NATCertainty.of(answered: 0) == NATCertainty.none)
        #expect(NATCertainty.of(answered: 1) == .partial)
        #expect(NATCertainty.of(answered: 2) == .full)
        #expect(NATCertainty.partial.explanation.contains("symmetric"))
    }
}

@Suite("STUN responder amplification bound")
struct STUNAmplificationTests {
    let now = Timestamp(secondsSinceEpoch: 100)
    let id = [UInt8](repeating: 7, count: 12)
    let other = TransportAddress("203.0.113.2:3479")!

    /// The defect: with alternates configured, OTHER-ADDRESS made a minimal request's reply 24 bytes larger.
    @Test("with alternates, a minimal request gets no OTHER-ADDRESS and at most the allowance more")
    func minimalRequestWithAlternates() throws {
        var responder = STUNResponder(otherAddress: other)
        let client = TransportAddress("198.51.100.7:40001")!
        let request = STUNMessage(.request, transactionID: id).encoded(fingerprint: true)
        let answer = responder.respond(to: request, from: client, now: now)
        let reply = try #require(answer)
        #expect(reply.bytes.count <= request.count + STUNResponder.allowance(for: client))
        let attributes = try STUNMessage.decode(reply.bytes).message.attributes
        #expect(!attributes.contains { $0.type == STUNResponder.otherAddressType })
    }

    @Test("a request padded as NATProbe pads it gets OTHER-ADDRESS, still within the bound, for both families")
    func paddedRequestGetsOtherAddress() throws {
        for client in [TransportAddress("198.51.100.7:40001")!, TransportAddress("[2001:db8::7]:40001")!] {
            var responder = STUNResponder(otherAddress: TransportAddress("[2001:db8::2]:3479")!)
            let request = STUNMessage(
                .request,
                transactionID: id,
                attributes: [.software(STUNResponder.otherAddressPadding)]
            ).encoded(fingerprint: true)
            let answer = responder.respond(to: request, from: client, now: now)
            let reply = try #require(answer)
            #expect(reply.bytes.count <= request.count + STUNResponder.allowance(for: client))
            let attributes = try STUNMessage.decode(reply.bytes).message.attributes
            #expect(attributes.contains { $0.type == STUNResponder.otherAddressType })
        }
    }

    /// Every request shape the responder answers (with and without fingerprint, CHANGE-REQUEST, unknown required
    /// attributes that earn a 420, padding of every length) stays within the bound.
    @Test("no reply exceeds its request plus the allowance, over many request shapes")
    func boundHoldsForEveryShape() {
        var random = SeededRandom(seed: 42)
        for round in 0..<2_000 {
            var responder = STUNResponder(otherAddress: round % 2 == 0 ? other : nil)
            let client =
                round % 3 == 0
                ? TransportAddress("[2001:db8::\(round % 9 + 1)]:\(1_000 + round)")!
                : TransportAddress("198.51.100.\(round % 200 + 1):\(1_000 + round)")!
            var attributes: [STUNAttribute] = []
            if random.next() % 2 == 0 {
                attributes.append(.other(type: STUNResponder.changeRequestType, value: [0, 0, 0, 6]))
            }
            for _ in 0..<Int(random.next() % 3) {
                attributes.append(.other(type: UInt16(0x0030 + random.next() % 8), value: []))
            }
            if random.next() % 2 == 0 {
                attributes.append(.software(String(repeating: "x", count: Int(random.next() % 40))))
            }
            let request = STUNMessage(.request, transactionID: id, attributes: attributes)
                .encoded(fingerprint: random.next() % 2 == 0)
            guard let reply = responder.respond(to: request, from: client, now: now) else { continue }
            #expect(reply.bytes.count <= request.count + STUNResponder.allowance(for: client), "round \(round)")
        }
    }
}
