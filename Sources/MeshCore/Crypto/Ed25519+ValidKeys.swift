import CSodium

extension Ed25519 {
    /// The public keys that passed the point check lately (`PublicKey.init(rawRepresentation:)`).
    static let validKeys = ValidKeyMemory(capacity: 4_096)

    /// Lets the memory of valid keys hold at least `count` keys (it never shrinks). For a process that stands for
    /// many nodes, the simulator: each real node remembers its own few hundred correspondents, and one memory
    /// shared by 10,000 simulated nodes must hold all of them to behave as theirs would. Without it the memory
    /// empties every 4,096 keys and the point check ran for most datagrams of the 10,000-node run.
    public static func rememberValidKeys(atLeast count: Int) {
        validKeys.raiseCapacity(to: count)
    }
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
    private let state: LockedValue<(keys: Set<[UInt8]>, capacity: Int)>

    init(capacity: Int) {
        state = LockedValue(([], max(capacity, 1)))
    }

    var capacity: Int { state.withLock { $0.capacity } }

    /// At least `count` keys from now on; a smaller `count` changes nothing.
    func raiseCapacity(to count: Int) {
        state.withLock { $0.capacity = max($0.capacity, count) }
    }

    /// Whether `bytes` is a valid Ed25519 point: remembered, or checked now (and remembered when it passes).
    func isValidPoint(_ bytes: [UInt8]) -> Bool {
        if state.withLock({ $0.keys.contains(bytes) }) { return true }
        Sodium.ensure()
        guard crypto_core_ed25519_is_valid_point(bytes) == 1 else { return false }
        state.withLock { state in
            if state.keys.count >= state.capacity { state.keys.removeAll(keepingCapacity: true) }
            state.keys.insert(bytes)
        }
        return true
    }

    var count: Int { state.withLock { $0.keys.count } }
}
