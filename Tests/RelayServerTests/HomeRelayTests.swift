import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// Home relay selection with real relay processes: measured round trips, two homes, and moving away from a
/// relay that dies.
@Suite(.serialized) struct HomeRelayTests {
    @Test func aClientKeepsTwoHomesAndMovesAwayFromOneThatDies() async throws {
        let directories = (0..<3).map { _ in RelayProcess.temporaryDirectory() }
        defer { for directory in directories { try? FileManager.default.removeItem(atPath: directory) } }
        var relays: [RelayProcess] = []
        for directory in directories { relays.append(try await RelayProcess.start(dataDirectory: directory)) }
        defer { for relay in relays { relay.cleanUp() } }
        let addresses = try relays.map { try #require(RelayAddress($0.address)) }

        // Bob listens on all three, so whichever home alice ends up using reaches him.
        let bobIdentity = identity(102)
        let bobs = relays.map { Collector(bobIdentity, port: $0.port, relay: $0.publicKey) }
        for bob in bobs { await bob.start() }

        var settings = RelayPool.Configuration()
        settings.pingInterval = .milliseconds(200)
        // Measuring ends when every candidate answered; the bound only matters on a loaded machine.
        settings.probeTimeout = .seconds(20)
        let alice = RelayPool(
            identity: identity(101),
            candidates: zip(addresses, relays).map { .init(address: $0, key: $1.publicKey) },
            group: testGroup,
            configuration: settings
        )
        await alice.start()
        let first = await alice.homes
        #expect(first.count == 2)
        for home in first { #expect(await alice.roundTrip(home) != nil, "every home was measured") }
        let spare = try #require(addresses.first { !first.contains($0) })

        let victim = first[0]
        relays[addresses.firstIndex(of: victim)!].kill9()
        try await eventually("alice moved away from the dead relay", within: .seconds(20)) {
            let homes = await alice.homes
            return !homes.contains(victim) && homes.contains(spare) && homes.count == 2
        }
        let envelope = OutboundEnvelope.numbered(1, to: bobIdentity, run: 50)
        let hops = await alice.homes.map { RelayRoute.Hop(address: $0, expectedKey: nil, isOwnHome: true) }
        let result = await alice.send(envelope, via: hops)
        guard case .accepted(let via, .forwarded) = result else {
            Issue.record("not forwarded: \(result)")
            return
        }
        #expect(via == hops[0].address)
        try await eventually("bob has it") {
            var total = 0
            for bob in bobs { total += await bob.delivered.count }
            return total == 1
        }
        await alice.stop()
        for bob in bobs { await bob.stop() }
    }

    /// A relay that was down when the client started is measured again at a probe round after its cooldown, so it
    /// can still become a home without a restart.
    @Test func aRelayThatWasDownAtStartIsMeasuredAtTheNextProbe() async throws {
        let directories = (0..<3).map { _ in RelayProcess.temporaryDirectory() }
        defer { for directory in directories { try? FileManager.default.removeItem(atPath: directory) } }
        var running: [RelayProcess] = []
        for directory in directories.prefix(2) {
            running.append(try await RelayProcess.start(dataDirectory: directory))
        }
        defer { for relay in running { relay.cleanUp() } }
        let latePort = try RelayProcess.freePort()
        let late = RelayAddress(host: "127.0.0.1", port: latePort)
        var candidates: [HomeRelaySelector.Candidate] = try running.map {
            .init(address: try #require(RelayAddress($0.address)), key: $0.publicKey)
        }
        candidates.append(.init(address: late, key: nil))
        var policy = HomeRelaySelector.Policy()
        policy.probeInterval = .seconds(1)
        // Refused connections at start make the late relay unhealthy; it is probed again once its cooldown ends.
        policy.cooldown = .seconds(2)
        var settings = RelayPool.Configuration()
        settings.policy = policy
        settings.pingInterval = .milliseconds(200)
        settings.probeTimeout = .seconds(1)
        let alice = RelayPool(
            identity: identity(103),
            candidates: candidates,
            group: testGroup,
            configuration: settings
        )
        await alice.start()
        #expect(await alice.roundTrip(late) == nil)
        #expect(await alice.homes.count == 2)
        #expect(!(await alice.homes.contains(late)))

        let lateRelay = try await RelayProcess.start(dataDirectory: directories[2], port: latePort)
        defer { lateRelay.cleanUp() }
        try await eventually("the late relay was measured by a probe round", within: .seconds(20)) {
            await alice.roundTrip(late) != nil
        }
        #expect(await alice.probeRounds >= 1)
        await alice.stop()
    }
}
