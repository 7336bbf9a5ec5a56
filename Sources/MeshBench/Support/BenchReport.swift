import Foundation

/// One scenario's result: printed as a single JSON line (the contract with scripts and CI).
struct BenchReport {
    private var fields: [String: Any] = [:]

    init(scenario: String) {
        fields["scenario"] = scenario
    }

    subscript(key: String) -> Any? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    /// Rounds to 3 significant decimals so the JSON stays readable.
    mutating func set(_ key: String, _ value: Double) {
        fields[key] = (value * 1000).rounded() / 1000
    }

    func printJSON() {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Monotonic wall time for measuring throughput (benchmarks are the only place that reads it directly).
enum Stopwatch {
    static func measure(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// Keeps the optimiser from deleting work whose result is unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
