/// The largest value seen in the last `length` rounds: BBR's bottleneck-bandwidth estimate, which must forget a
/// rate the path no longer delivers (a route change, a competing flow) within a few round trips, but must not
/// drop on one slow sample.
struct WindowedMaxFilter: Sendable {
    let length: Int
    /// One maximum per round, oldest first; never more than `length` entries.
    private var samples: [(round: Int, value: Double)] = []

    init(length: Int) {
        self.length = length
    }

    var best: Double { samples.map(\.value).max() ?? 0 }

    mutating func update(_ value: Double, round: Int) {
        samples.removeAll { $0.round <= round - length }
        if let last = samples.last, last.round == round {
            samples[samples.count - 1].value = max(last.value, value)
        } else {
            samples.append((round, value))
            if samples.count > length { samples.removeFirst(samples.count - length) }
        }
    }

    /// Forget everything but `value`: the path has shown it no longer delivers the old maximum.
    mutating func reset(to value: Double, round: Int) {
        samples = [(round, value)]
    }
}
