extension RecordExtension {
    /// The agent's exposure level: one byte, `1` unlisted, `2` private (decision 0082). A record without it is
    /// listed, so records written before the extension existed keep their meaning. The DHT does not read it;
    /// MeshPeer's profile and the indexer do.
    public static let exposure: UInt16 = 2
}
