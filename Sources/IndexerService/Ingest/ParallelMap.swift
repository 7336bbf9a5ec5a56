import Foundation

/// Runs CPU-bound work (signature checks, card reads) on every core, and no more than that at once.
enum ParallelMap {
    /// Tasks at once: one per core (the cooperative pool has no more threads than that anyway).
    static var defaultConcurrency: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `transform` of every element, in order. The input is cut into at most `concurrency` contiguous slices,
    /// one task each, so there are never more tasks than cores and no per-element locking.
    static func map<Element: Sendable, Output: Sendable>(
        _ elements: [Element],
        concurrency: Int = defaultConcurrency,
        _ transform: @escaping @Sendable (Element) -> Output
    ) async -> [Output] {
        let slices = max(1, min(concurrency, elements.count))
        guard slices > 1 else { return elements.map(transform) }
        let size = (elements.count + slices - 1) / slices
        return await withTaskGroup(of: (Int, [Output]).self) { group in
            for start in stride(from: 0, to: elements.count, by: size) {
                let slice = Array(elements[start..<min(start + size, elements.count)])
                group.addTask { (start, slice.map(transform)) }
            }
            var parts: [(Int, [Output])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }
}
