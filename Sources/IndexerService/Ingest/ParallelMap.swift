import Foundation

/// Runs CPU-bound work (signature checks, card reads) on every core, and no more than that at once.
enum ParallelMap {
    /// Tasks at once: one per core (the cooperative pool has no more threads than that anyway).
    static var defaultConcurrency: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
    /// Slices per task: a task that finishes early takes the next slice, so one descheduled thread on a busy
    /// machine does not leave the others waiting at the end.
    static let slicesPerTask = 4

    /// `transform` of every element, in order. The input is cut into contiguous slices, at most `concurrency`
    /// of them in flight at once, with no per-element locking.
    static func map<Element: Sendable, Output: Sendable>(
        _ elements: [Element],
        concurrency: Int = defaultConcurrency,
        _ transform: @escaping @Sendable (Element) -> Output
    ) async -> [Output] {
        let running = max(1, min(concurrency, elements.count))
        guard running > 1 else { return elements.map(transform) }
        let size = max(1, (elements.count + running * slicesPerTask - 1) / (running * slicesPerTask))
        var starts = stride(from: 0, to: elements.count, by: size).makeIterator()
        return await withTaskGroup(of: (Int, [Output]).self) { group in
            func addNext() -> Bool {
                guard let start = starts.next() else { return false }
                let slice = Array(elements[start..<min(start + size, elements.count)])
                group.addTask { (start, slice.map(transform)) }
                return true
            }
            for _ in 0..<running where !addNext() { break }
            var parts: [(Int, [Output])] = []
            while let part = await group.next() {
                parts.append(part)
                _ = addNext()
            }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }
}
