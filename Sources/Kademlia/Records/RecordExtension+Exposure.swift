extension RecordExtension {
    /// The agent's exposure level: one byte, `1` unlisted, `2` private (decision 0082). A record without it is
    /// listed, so records written before the extension existed keep their meaning. The DHT does not read it;
    /// MeshPeer's profile and the indexer do.
    public static let exposure: UInt16 = 2
}

extension RecordExtension {
    /// In a private agent's sealed record: the invite slot's public key (32 bytes), signed by the DID with the
    /// rest of the record, so a record opened from one slot cannot be re-sealed under another (decision 0082).
    public static let inviteSlot: UInt16 = 3
}
