import Testing

@testable import MeshNode

/// The outbox loop's sleep: a wake is never lost, whether it comes before the sleep starts (while the loop is still
/// busy with its pass: the case the old loop lost, sleeping 5 s with a message waiting) or during it. A lost wake
/// shows as the full 60 s sleep; the 30 s bound leaves room for a loaded test machine.
@Suite struct WakeableSleepTests {
    /// Runs `body` and returns how long it took.
    static func timed(_ body: () async -> Void) async -> Duration {
        let start = ContinuousClock.now
        await body()
        return ContinuousClock.now - start
    }

    @Test func aWakeBeforeTheSleepEndsItAtOnce() async {
        let sleep = WakeableSleep()
        sleep.clearPending()
        sleep.wake()  // during the pass, before the loop sleeps
        let took = await Self.timed { await sleep.sleep(upTo: .seconds(60)) }
        #expect(took < .seconds(30))
    }

    @Test func aWakeDuringTheSleepEndsIt() async {
        let sleep = WakeableSleep()
        let sleeper = Task { await Self.timed { await sleep.sleep(upTo: .seconds(60)) } }
        // Whether the wake lands before or after the sleep has started, the sleep must end.
        sleep.wake()
        #expect(await sleeper.value < .seconds(30))
    }

    @Test func aWakeClearedAtTheTopOfAPassDoesNotCutTheNextSleep() async {
        let sleep = WakeableSleep()
        sleep.wake()
        #expect(sleep.clearPending())
        #expect(!sleep.clearPending())
        let took = await Self.timed { await sleep.sleep(upTo: .milliseconds(200)) }
        #expect(took >= .milliseconds(200))
    }

    @Test func withoutAWakeTheSleepLastsItsDelay() async {
        let sleep = WakeableSleep()
        let took = await Self.timed { await sleep.sleep(upTo: .milliseconds(100)) }
        #expect(took >= .milliseconds(100))
        #expect(took < .seconds(30))
    }

    /// The loop's own cancellation (node shutdown) ends a sleep too.
    @Test func cancellingTheLoopEndsTheSleep() async {
        let sleep = WakeableSleep()
        let sleeper = Task { await Self.timed { await sleep.sleep(upTo: .seconds(60)) } }
        sleeper.cancel()
        #expect(await sleeper.value < .seconds(30))
    }
}
