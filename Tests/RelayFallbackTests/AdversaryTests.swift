import Foundation
import MeshCore
import Testing

@testable import RelayFallback

/// The hostile relay of issue 19, without IO: the same seed gives the same attacks, each attack does what it
/// says, and everything it holds is bounded.
@Suite struct AdversaryTests {
    let now = Timestamp(secondsSinceEpoch: 1_000)
    let bob = ConnectionID(1)
    let carol = ConnectionID(2)

    func delivery(_ tag: UInt8) -> RelayHubAction {
        .send(
            bob,
            .deliver(
                DeliveredEnvelope(
                    id: Fixture.id(tag),
                    sender: Fixture.alice.nodeID,
                    sequence: UInt64(tag),
                    payload: [tag, 0xAA]
                )
            )
        )
    }

    func run(_ plan: RelayAdversaryPlan, deliveries: Int = 200) -> ([RelayHubAction], RelayAdversary<SeededRandom>) {
        var adversary = RelayAdversary(plan: plan, random: SeededRandom(seed: plan.seed))
        var out = adversary.transform(
            [
                .send(
                    carol,
                    .welcome(RelayWelcome(clientID: Fixture.bob.nodeID, maximumEnvelopeBytes: 1, pendingCount: 0))
                )
            ],
            now: now
        )
        for tag in 0..<deliveries { out += adversary.transform([delivery(UInt8(tag % 256))], now: now) }
        out += adversary.due(now: now + .seconds(60))
        return (out, adversary)
    }

    @Test func anHonestPlanChangesNothing() {
        let (out, adversary) = run(RelayAdversaryPlan(seed: 1), deliveries: 50)
        #expect(out.count == 51)
        #expect(adversary.counts.isEmpty)
        #expect(adversary.nextDeadline() == nil)
    }

    @Test func theSameSeedAttacksTheSameWay() {
        let plan = RelayAdversaryPlan(
            seed: 9,
            drop: 0.1,
            delay: 0.1,
            duplicate: 0.1,
            replay: 0.1,
            flip: 0.1,
            misdeliver: 0.1
        )
        let (first, a) = run(plan)
        let (second, b) = run(plan)
        #expect(first == second)
        #expect(a.counts == b.counts)
        let (other, _) = run(
            RelayAdversaryPlan(seed: 10, drop: 0.1, delay: 0.1, duplicate: 0.1, replay: 0.1, flip: 0.1, misdeliver: 0.1)
        )
        #expect(other != first)
    }

    @Test func eachAttackDoesWhatItSays() {
        let (dropped, dropper) = run(RelayAdversaryPlan(seed: 2, drop: 1))
        #expect(dropped.count == 1 && dropper.counts[.drop] == 200)

        let (doubled, _) = run(RelayAdversaryPlan(seed: 2, duplicate: 1), deliveries: 10)
        #expect(doubled.count == 1 + 20)

        let (flipped, _) = run(RelayAdversaryPlan(seed: 2, flip: 1), deliveries: 10)
        for case .send(_, .deliver(let envelope)) in flipped {
            let original: [UInt8] = [UInt8(envelope.sequence), 0xAA]
            let differing = zip(envelope.payload, original).map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
            #expect(differing == 1, "exactly one bit flipped")
        }

        let (misdelivered, _) = run(RelayAdversaryPlan(seed: 2, misdeliver: 1), deliveries: 10)
        for case .send(let target, .deliver) in misdelivered { #expect(target == carol) }

        let (held, _) = run(RelayAdversaryPlan(seed: 2, delay: 1, maximumDelayMilliseconds: 500), deliveries: 10)
        #expect(held.count == 11, "every held delivery comes back once its time has come")

        var liar = RelayAdversary(plan: RelayAdversaryPlan(seed: 2, lieStored: 1), random: SeededRandom(seed: 2))
        #expect(liar.transform([.persist([]), delivery(1)], now: now).count == 1, "nothing is written to disk")
    }

    /// With `everyAttackOnce`, each attack the plan names happens at its first chance even when its probability
    /// makes it all but impossible, and then only by that probability; without it, the same plan attacks not at all.
    /// The hostile-relay process test relies on this to check that the relay really performed every attack.
    @Test func everyAttackOnceSpendsEachAttacksFirstChance() throws {
        let tiny = 1e-12
        func plan(_ once: Bool) -> RelayAdversaryPlan {
            RelayAdversaryPlan(
                seed: 5,
                drop: tiny,
                delay: tiny,
                duplicate: tiny,
                replay: tiny,
                flip: tiny,
                misdeliver: tiny,
                lieStored: tiny,
                wrongIdentity: tiny,
                everyAttackOnce: once
            )
        }
        let stored = StoredEnvelope(
            meta: StoredEnvelopeMeta(
                sequence: 1,
                id: Fixture.id(200),
                sender: Fixture.alice.nodeID,
                recipient: Fixture.bob.nodeID,
                byteCount: 1,
                expiresAt: now + .seconds(60)
            ),
            payload: [1]
        )
        let challenge = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: Array(repeating: 1, count: 32))
        for once in [true, false] {
            var (_, adversary) = run(plan(once), deliveries: 20)
            let more: [RelayHubAction] = [.persist([stored]), .persist([stored]), .send(bob, .challenge(challenge))]
            _ = adversary.transform(more, now: now)
            _ = adversary.transform([.send(bob, .challenge(challenge))], now: now)
            for attack in RelayAdversary<SeededRandom>.Attack.allCases {
                #expect(adversary.counts[attack] == (once ? 1 : nil), "\(attack) with everyAttackOnce \(once)")
            }
        }
        let decoded = try JSONDecoder().decode(
            RelayAdversaryPlan.self,
            from: Data(#"{"seed":1,"drop":0.5,"everyAttackOnce":true}"#.utf8)
        )
        #expect(decoded.everyAttackOnce)
        let plain = try JSONDecoder().decode(RelayAdversaryPlan.self, from: Data(#"{"seed":1}"#.utf8))
        #expect(plain.everyAttackOnce == false)
    }

    @Test func aWrongIdentityNamesAnotherKey() throws {
        var adversary = RelayAdversary(
            plan: RelayAdversaryPlan(seed: 3, wrongIdentity: 1),
            random: SeededRandom(seed: 3)
        )
        let challenge = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: Array(repeating: 1, count: 32))
        let out = adversary.transform([.send(bob, .challenge(challenge))], now: now)
        guard let first = out.first, case .send(_, .challenge(let claimed)) = first else {
            throw AdversaryTestFailure()
        }
        #expect(claimed.relayKey != challenge.relayKey)
        #expect(claimed.nonce == challenge.nonce)
    }

    @Test func heldDeliveriesAreBounded() {
        var adversary = RelayAdversary(
            plan: RelayAdversaryPlan(seed: 4, delay: 1, maximumDelayMilliseconds: 60_000),
            random: SeededRandom(seed: 4)
        )
        var written = 0
        for tag in 0..<1_000 { written += adversary.transform([delivery(UInt8(tag % 256))], now: now).count }
        #expect(written == 1_000 - RelayAdversary<SeededRandom>.heldCapacity)
        #expect(adversary.due(now: now + .seconds(61)).count == RelayAdversary<SeededRandom>.heldCapacity)
    }

    @Test func aPlanRefusesWhatIsNotAProbability() throws {
        let decoder = JSONDecoder()
        #expect(throws: DecodingError.self) {
            try decoder.decode(RelayAdversaryPlan.self, from: Data(#"{"seed":1,"drop":1.5}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try decoder.decode(RelayAdversaryPlan.self, from: Data(#"{"seed":1,"explode":0.5}"#.utf8))
        }
        let plan = try decoder.decode(RelayAdversaryPlan.self, from: Data(#"{"seed":1,"drop":0.5}"#.utf8))
        #expect(plan.drop == 0.5 && plan.flip == 0)
    }
}

struct AdversaryTestFailure: Error {}
