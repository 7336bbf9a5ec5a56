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
        let count = entries.count
        var expectedSequence: UInt64 = 1
        var expectedPrevious = AuditChain.genesis(for: node)
        if let checkpoint {
            guard checkpoint.isValid(for: node) else {
                return .bad(
                    count,
                    checkpoint.sequence &+ 1,
                    "the checkpoint is not signed by this node (forged or edited)"
                )
            }
            expectedSequence = checkpoint.sequence &+ 1
            expectedPrevious = checkpoint.hash
        }
        // Where each stored hash sits, to tell a moved entry from an edited one.
        var positionOfHash: [[UInt8]: UInt64] = [:]
        for entry in entries { positionOfHash[entry.hash] = entry.sequence }
        var previousSequence: UInt64?
        for entry in entries {
            if entry.sequence > expectedSequence {
                let missing =
                    entry.sequence - expectedSequence == 1
                    ? "entry \(expectedSequence) is missing"
                    : "entries \(expectedSequence) to \(entry.sequence - 1) are missing"
                let why =
                    previousSequence == nil && checkpoint == nil
                    ? "\(missing): the head was cut without a signed checkpoint"
                    : "\(missing) (deleted)"
                return .bad(count, expectedSequence, why)
            }
            if entry.sequence < expectedSequence {
                return .bad(count, entry.sequence, "entry \(entry.sequence) appears twice or out of order")
            }
            if entry.previousHash.count != expectedPrevious.count
                || !ConstantTime.equals(entry.previousHash, expectedPrevious)
            {
                if let other = positionOfHash[entry.previousHash], other != entry.sequence &- 1 {
                    return .bad(
                        count,
                        entry.sequence,
                        "entry \(entry.sequence) was moved: it follows entry \(other) in the chain"
                    )
                }
                if let previous = previousSequence, previous == entry.sequence &- 1 {
                    return .bad(
                        count,
                        previous,
                        "entry \(previous) was edited: entry \(entry.sequence) no longer links to it"
                    )
                }
                return .bad(count, entry.sequence, "entry \(entry.sequence) does not link to the checkpoint or genesis")
            }
            guard AuditChain.isSelfConsistent(entry) else {
                return .bad(
                    count,
                    entry.sequence,
                    "entry \(entry.sequence) was edited: its contents do not match its hash"
                )
            }
            previousSequence = entry.sequence
            expectedSequence = entry.sequence &+ 1
            expectedPrevious = entry.hash
        }
        return .good(count)
    }
}
