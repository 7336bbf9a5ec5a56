/// What went wrong in a `SQLiteRecordStore`, for the owner to read (`SQLiteRecordStore.health`) and for `/metrics`
/// (the same counts as `meshpeer_dht_store_*_total`). A storage error never stops the node: the record stays served
/// from memory and the failure is counted and logged here instead of vanishing.
public struct RecordStoreHealth: Sendable, Equatable {
    /// Writes (records, removals, snapshots) SQLite refused: a full disk, a read-only file, a broken database.
    public var writeFailures = 0
    /// Writes not attempted because `maximumPendingWrites` were already queued (the disk is slower than the DHT).
    public var writesDropped = 0
    /// Stored rows that did not survive re-verification on load (bad signature, expired, wrong key, unknown type,
    /// over capacity) and were deleted.
    public var rejectedOnLoad = 0
    /// Records that did re-verify and are served again.
    public var loaded = 0
    /// Routing-table snapshots that could not be saved.
    public var snapshotFailures = 0
    /// Saved contacts that no longer decode (an ID or address edited or damaged in the file), skipped on load.
    public var contactsSkippedOnLoad = 0
    /// The last error's description (never record bytes or keys).
    public var lastError: String?

    public init() {}

    /// Whether anything failed since the store opened (rejections on load are the file's fault, not ours).
    public var isHealthy: Bool { writeFailures == 0 && writesDropped == 0 && snapshotFailures == 0 }
}
