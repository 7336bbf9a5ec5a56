import MeshCore

/// Checks an audit log, oldest entry first, and names the first entry that breaks it and how:
/// - an entry whose stored hash is not the hash of its contents was edited;
/// - an entry whose contents were edited and rehashed is found by the next entry, which no longer links to it;
/// - an entry that links to an entry other than the one before it was moved (reordered);
/// - a gap in sequence numbers is a deleted entry (or several);
/// - a log that does not start at 1 needs a checkpoint signed by the node that says where the trimmed head ended,
///   and the first kept entry must link to it.
/// Deleting the newest entries leaves a valid shorter chain; an exported copy or a later checkpoint shows that.
public struct AuditVerifier: Sendable {
    public struct Report: Hashable, Sendable {
        public var ok: Bool
        public var entries: Int
        /// The first entry that breaks the chain (for deleted entries: the first missing sequence number).
        public var firstBadSequence: UInt64?
        public var reason: String?

        public init(ok: Bool, entries: Int, firstBadSequence: UInt64?, reason: String?) {
            self.ok = ok
            self.entries = entries
            self.firstBadSequence = firstBadSequence
            self.reason = reason
        }

        static func good(_ entries: Int) -> Report {
            Report(ok: true, entries: entries, firstBadSequence: nil, reason: nil)
        }
        static func bad(_ entries: Int, _ sequence: UInt64?, _ reason: String) -> Report {
            Report(ok: false, entries: entries, firstBadSequence: sequence, reason: reason)
        }
    }

    public let node: Ed25519.PublicKey

    public init(node: Ed25519.PublicKey) { self.node = node }

    /// Verifies `entries` (in stored order, by sequence number) from `checkpoint` or, without one, from genesis.
    public func verify(_ entries: [AuditEntry], checkpoint: AuditCheckpoint?) -> Report {
        // Where each stored hash sits, to tell a moved entry from an edited one.
        var positionOfHash: [[UInt8]: UInt64] = [:]
        for entry in entries { positionOfHash[entry.hash] = entry.sequence }
        var walk = Walk(node: node, checkpoint: checkpoint)
        for entry in entries where !walk.feed(entry, locate: { positionOfHash[$0] }) { break }
        return walk.report(entries: entries.count)
    }

    /// The same check one entry at a time, so a store can verify a log of any length holding one page: `locate`
    /// answers where a hash is stored (asked only when a link breaks, to tell a move from an edit).
    public struct Walk: Sendable {
        private var expectedSequence: UInt64 = 1
        private var expectedPrevious: [UInt8]
        private var previousSequence: UInt64?
        private let fromCheckpoint: Bool
        private var failure: (sequence: UInt64?, reason: String)?

        public init(node: Ed25519.PublicKey, checkpoint: AuditCheckpoint?) {
            expectedPrevious = AuditChain.genesis(for: node)
            fromCheckpoint = checkpoint != nil
            guard let checkpoint else { return }
            guard checkpoint.isValid(for: node) else {
                failure = (checkpoint.sequence &+ 1, "the checkpoint is not signed by this node (forged or edited)")
                return
            }
            expectedSequence = checkpoint.sequence &+ 1
            expectedPrevious = checkpoint.hash
        }

        /// False once the chain is broken (later entries change nothing).
        public var isIntact: Bool { failure == nil }

        public func report(entries: Int) -> Report {
            guard let failure else { return .good(entries) }
            return .bad(entries, failure.sequence, failure.reason)
        }

        /// Checks the next stored entry; false when it (or an earlier one) breaks the chain.
        public mutating func feed(_ entry: AuditEntry, locate: (_ hash: [UInt8]) -> UInt64?) -> Bool {
            guard failure == nil else { return false }
            if let broken = check(entry, locate: locate) {
                failure = broken
                return false
            }
            previousSequence = entry.sequence
            expectedSequence = entry.sequence &+ 1
            expectedPrevious = entry.hash
            return true
        }

        private func check(_ entry: AuditEntry, locate: (_ hash: [UInt8]) -> UInt64?) -> (UInt64?, String)? {
            if entry.sequence > expectedSequence {
                let missing =
                    entry.sequence - expectedSequence == 1
                    ? "entry \(expectedSequence) is missing"
                    : "entries \(expectedSequence) to \(entry.sequence - 1) are missing"
                let why =
                    previousSequence == nil && !fromCheckpoint
                    ? "\(missing): the head was cut without a signed checkpoint"
                    : "\(missing) (deleted)"
                return (expectedSequence, why)
            }
            if entry.sequence < expectedSequence {
                return (entry.sequence, "entry \(entry.sequence) appears twice or out of order")
            }
            if entry.previousHash.count != expectedPrevious.count
                || !ConstantTime.equals(entry.previousHash, expectedPrevious)
            {
                if let other = locate(entry.previousHash), other != entry.sequence &- 1 {
                    return (entry.sequence, "entry \(entry.sequence) was moved: it follows entry \(other) in the chain")
                }
                if let previous = previousSequence, previous == entry.sequence &- 1 {
                    return (previous, "entry \(previous) was edited: entry \(entry.sequence) no longer links to it")
                }
                return (entry.sequence, "entry \(entry.sequence) does not link to the checkpoint or genesis")
            }
            guard AuditChain.isSelfConsistent(entry) else {
                return (entry.sequence, "entry \(entry.sequence) was edited: its contents do not match its hash")
            }
            return nil
        }
    }
}
