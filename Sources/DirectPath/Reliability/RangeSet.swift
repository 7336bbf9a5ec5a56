import MeshCore

/// A set of non-overlapping half-open `UInt64` ranges, kept sorted and merged.
///
/// Used for packet numbers received (to build ACKs and reject replays) and for stream offsets acknowledged or
/// buffered. The number of ranges is capped by the caller; this type only stores and merges.
struct RangeSet: Equatable, Sendable {
    private(set) var ranges: [Range<UInt64>] = []

    var isEmpty: Bool { ranges.isEmpty }
    var count: Int { ranges.count }
    var first: Range<UInt64>? { ranges.first }
    var last: Range<UInt64>? { ranges.last }

    func contains(_ value: UInt64) -> Bool {
        guard let index = indexOfRange(containingOrAfter: value) else { return false }
        return ranges[index].contains(value)
    }

    /// True when every value in `range` is in the set.
    func contains(_ range: Range<UInt64>) -> Bool {
        guard !range.isEmpty else { return true }
        guard let index = indexOfRange(containingOrAfter: range.lowerBound) else { return false }
        return ranges[index].lowerBound <= range.lowerBound && ranges[index].upperBound >= range.upperBound
    }

    mutating func insert(_ range: Range<UInt64>) {
        guard !range.isEmpty else { return }
        // Fast paths for the common case, values arriving in order: extend or append the last range.
        if let last = ranges.last, range.lowerBound >= last.lowerBound {
            if range.lowerBound > last.upperBound {
                ranges.append(range)
                return
            }
            if range.upperBound > last.upperBound { ranges[ranges.count - 1] = last.lowerBound..<range.upperBound }
            return
        }
        if ranges.isEmpty {
            ranges.append(range)
            return
        }
        var lower = range.lowerBound
        var upper = range.upperBound
        // Find the first range that could touch the new one.
        var start = ranges.count
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < lower { low = mid + 1 } else { high = mid }
        }
        start = low
        var end = start
        while end < ranges.count && ranges[end].lowerBound <= upper {
            lower = min(lower, ranges[end].lowerBound)
            upper = max(upper, ranges[end].upperBound)
            end += 1
        }
        ranges.replaceSubrange(start..<end, with: [lower..<upper])
    }

    mutating func insert(_ value: UInt64) {
        insert(value..<(value &+ 1))
    }

    /// Removes `range` from the set, splitting a stored range where needed.
    mutating func remove(_ range: Range<UInt64>) {
        guard !range.isEmpty else { return }
        var result: [Range<UInt64>] = []
        result.reserveCapacity(ranges.count + 1)
        for stored in ranges {
            if stored.upperBound <= range.lowerBound || stored.lowerBound >= range.upperBound {
                result.append(stored)
                continue
            }
            if stored.lowerBound < range.lowerBound { result.append(stored.lowerBound..<range.lowerBound) }
            if stored.upperBound > range.upperBound { result.append(range.upperBound..<stored.upperBound) }
        }
        ranges = result
    }

    /// Removes the oldest ranges so at most `count` remain (bounded memory for hostile input).
    mutating func keepNewest(_ count: Int) {
        if ranges.count > count { ranges.removeFirst(ranges.count - count) }
    }

    /// Removes everything below `bound` (memory for history that can no longer matter).
    mutating func removeAll(below bound: UInt64) {
        while let first = ranges.first, first.lowerBound < bound {
            if first.upperBound <= bound {
                ranges.removeFirst()
            } else {
                ranges[0] = bound..<first.upperBound
            }
        }
    }

    /// The stored ranges that overlap `range` or touch it (end where it starts or start where it ends), in order:
    /// what inserting `range` would merge into one.
    func touching(_ range: Range<UInt64>) -> ArraySlice<Range<UInt64>> {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < range.lowerBound { low = mid + 1 } else { high = mid }
        }
        var end = low
        while end < ranges.count && ranges[end].lowerBound <= range.upperBound { end += 1 }
        return ranges[low..<end]
    }

    /// Parts of `range` not in the set, in order.
    func gaps(in range: Range<UInt64>) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        var cursor = range.lowerBound
        var index = indexOfRange(containingOrAfter: cursor) ?? ranges.count
        while cursor < range.upperBound {
            guard index < ranges.count, ranges[index].lowerBound < range.upperBound else {
                result.append(cursor..<range.upperBound)
                break
            }
            let covered = ranges[index]
            if covered.lowerBound > cursor { result.append(cursor..<covered.lowerBound) }
            cursor = max(cursor, covered.upperBound)
            index += 1
        }
        return result
    }

    /// The first range whose upper bound is above `value` (it contains `value` or starts after it).
    private func indexOfRange(containingOrAfter value: UInt64) -> Int? {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= value { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count ? low : nil
    }
}
