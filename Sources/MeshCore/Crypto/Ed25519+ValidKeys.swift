import CSodium

extension Ed25519 {
    /// The public keys that passed the point check lately (`PublicKey.init(rawRepresentation:)`).
    static let validKeys = ValidKeyMemory(capacity: 4_096)
}

/// Remembers encodings that passed `crypto_core_ed25519_is_valid_point`, so the check runs once per key rather than
/// once per use. The check includes a subgroup test (a scalar multiplication, tens of microseconds), and a node
/// makes the same few keys again and again: every contact row, outbox row and session frame it reads names one.
/// In the relay throughput run it was 9 % of the sender's CPU and 14 % of the recipient's (issue 11).
///
/// The check is a pure function of the 32 bytes, so a remembered answer is the answer: nothing that was refused is
/// accepted. Only keys that passed are stored; the set is bounded by `capacity` and emptied when full (the keys in
/// use come back at once), so a flood of fresh keys costs no more than the check itself. Set's hashing is seeded
/// per process, so chosen keys cannot make lookups slow.
final class ValidKeyMemory: Sendable {
    private let keys: LockedValue<Set<[UInt8]>>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        keys = LockedValue([])
    }

    /// Whether `bytes` is a valid Ed25519 point: remembered, or checked now (and remembered when it passes).
    func isValidPoint(_ bytes: [UInt8]) -> Bool {
        if keys.withLock({ $0.contains(bytes) }) { return true }
        Sodium.ensure()
        guard crypto_core_ed25519_is_valid_point(bytes) == 1 else { return false }
        let capacity = self.capacity
        keys.withLock { keys in
            if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
            keys.insert(bytes)
        }
        return true
    }

    var count: Int { keys.withLock { $0.count } }
}
