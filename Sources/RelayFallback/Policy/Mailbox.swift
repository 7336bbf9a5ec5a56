import MeshCore

/// One recipient's envelopes: those waiting on disk (in arrival order) and those in flight to its connection.
struct Mailbox: Sendable {
    /// An envelope sent to the recipient and not yet acknowledged.
    struct InFlight: Sendable {
        var meta: StoredEnvelopeMeta
        /// Present for a live-forwarded envelope that was never written to disk.
        var livePayload: [UInt8]?
        /// When it was last written to the connection, and how often: the ack wait runs from `sentAt` and
        /// doubles with each delivery (`RelayHub.redeliverOverdue`).
        var sentAt: Timestamp
        var deliveries = 1
    }

    /// Waiting envelopes, sorted by sequence; `head` skips delivered ones without shifting the array.
    private(set) var waiting: [StoredEnvelopeMeta] = []
    private var head = 0
    private(set) var inFlight: [EnvelopeID: InFlight] = [:]
    /// Bytes and count that count against the recipient's quota: everything held, waiting or in flight.
    private(set) var heldCount = 0
    private(set) var heldBytes = 0
    private(set) var liveBytes = 0
    /// The part of the held count and bytes that came from first contacts (their own, smaller quota).
    private(set) var firstContactCount = 0
    private(set) var firstContactBytes = 0

    var waitingCount: Int { waiting.count - head }
    var isEmpty: Bool { waitingCount == 0 && inFlight.isEmpty }

    mutating func append(_ meta: StoredEnvelopeMeta) {
        waiting.append(meta)
        count(meta, 1)
    }

    /// Moves up to `count` waiting envelopes into flight and returns them in order.
    mutating func takeWaiting(upTo count: Int, now: Timestamp) -> [StoredEnvelopeMeta] {
        let taken = Array(waiting[head..<min(head + max(count, 0), waiting.count)])
        head += taken.count
        for meta in taken { inFlight[meta.id] = InFlight(meta: meta, livePayload: nil, sentAt: now) }
        compact()
        return taken
    }

    mutating func addLive(_ meta: StoredEnvelopeMeta, payload: [UInt8], now: Timestamp) {
        inFlight[meta.id] = InFlight(meta: meta, livePayload: payload, sentAt: now)
        count(meta, 1)
        liveBytes += meta.byteCount
    }

    /// Removes an acknowledged envelope; returns it if it was in flight.
    mutating func acknowledge(_ id: EnvelopeID) -> InFlight? {
        guard let entry = inFlight.removeValue(forKey: id) else { return nil }
        release(entry)
        return entry
    }

    /// In-flight envelopes whose ack wait has run out (`wait` doubled per earlier delivery, up to 16 times), in
    /// sequence order; each is marked delivered again at `now`.
    mutating func takeOverdue(wait: Duration, now: Timestamp) -> [InFlight] {
        var overdue: [InFlight] = []
        for (id, entry) in inFlight where entry.sentAt + wait * (1 << min(entry.deliveries - 1, 4)) <= now {
            inFlight[id]?.sentAt = now
            inFlight[id]?.deliveries += 1
            overdue.append(entry)
        }
        return overdue.sorted { $0.meta.sequence < $1.meta.sequence }
    }

    /// The connection went away: everything in flight waits again, ahead of later arrivals. Live entries are
    /// returned so the caller can write them to disk.
    mutating func requeueInFlight() -> [StoredEnvelope] {
        let entries = inFlight.values.sorted { $0.meta.sequence < $1.meta.sequence }
        inFlight = [:]
        liveBytes = 0
        let rest = Array(waiting[head...])
        waiting = entries.map(\.meta) + rest
        head = 0
        return entries.compactMap { entry in entry.livePayload.map { StoredEnvelope(meta: entry.meta, payload: $0) } }
    }

    /// Drops every waiting envelope whose lifetime has ended and returns them.
    mutating func expire(now: Timestamp) -> [StoredEnvelopeMeta] {
        let rest = waiting[head...]
        let expired = rest.filter { $0.expiresAt <= now }
        guard !expired.isEmpty else { return [] }
        waiting = rest.filter { $0.expiresAt > now }
        head = 0
        for meta in expired { count(meta, -1) }
        return expired
    }

    /// Adds (`sign` 1) or removes (-1) an envelope from the held totals.
    mutating func count(_ meta: StoredEnvelopeMeta, _ sign: Int) {
        heldCount += sign
        heldBytes += sign * meta.byteCount
        if meta.isFirstContact {
            firstContactCount += sign
            firstContactBytes += sign * meta.byteCount
        }
    }

    private mutating func release(_ entry: InFlight) {
        count(entry.meta, -1)
        if entry.livePayload != nil { liveBytes -= entry.meta.byteCount }
    }

    private mutating func compact() {
        if head > 1_024 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
    }
}

extension Mailbox {
    /// Removes waiting envelopes that could not be written to disk; returns how many were removed.
    mutating func discardWaiting(_ ids: Set<EnvelopeID>) -> [StoredEnvelopeMeta] {
        let rest = waiting[head...]
        let dropped = rest.filter { ids.contains($0.id) }
        guard !dropped.isEmpty else { return [] }
        waiting = rest.filter { !ids.contains($0.id) }
        head = 0
        for meta in dropped { count(meta, -1) }
        return dropped
    }
}
