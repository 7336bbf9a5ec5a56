/// Every bound the Ratchet enforces. docs/ratchet.md lists them with their reasons.
public struct RatchetLimits: Hashable, Sendable {
    /// MAX_SKIP: the most message keys one received message may make us derive in total (the rest of the old
    /// receiving chain plus the gap in the new one). A hostile header cannot force more work than this.
    public var maximumSkip: Int
    /// The most skipped message keys a session stores; beyond it the oldest are deleted first.
    public var maximumStoredSkippedKeys: Int
    /// The most distinct receiving chains with stored skipped keys. With header encryption each such chain is one
    /// trial decryption per incoming header, so this bounds the cost of a garbage header.
    public var maximumSkippedChains: Int
    /// Messages up to 1 MiB.
    public var maximumPlaintextByteCount: Int

    public init(
        maximumSkip: Int = 1_000,
        maximumStoredSkippedKeys: Int = 2_000,
        maximumSkippedChains: Int = 8,
        maximumPlaintextByteCount: Int = RatchetLimits.absoluteMaximumPlaintextByteCount
    ) {
        self.maximumSkip = maximumSkip
        self.maximumStoredSkippedKeys = maximumStoredSkippedKeys
        self.maximumSkippedChains = maximumSkippedChains
        self.maximumPlaintextByteCount = min(maximumPlaintextByteCount, RatchetLimits.absoluteMaximumPlaintextByteCount)
    }

    public static let `default` = RatchetLimits()
    /// 1 MiB: the message size, and what `Frame.absoluteMaximumPayload` leaves room for.
    public static let absoluteMaximumPlaintextByteCount = 1_048_576
}
