/// Reading a card that is already parsed, so a reader that has the `JSONValue` does not parse the bytes twice.
extension CardFile {
    /// Checks a card as `parse` does, from the value `AgentCardSignature.verify(cardBytes:did:)` returned (strict
    /// JSON: no duplicate names, at most `maximumBytes`). The indexer reads every card it mirrors this way: the
    /// signature check has parsed it already, and a second parse was a third of its ingest cost.
    public static func card(from json: JSONValue) throws(ProfileError) -> AgentCard {
        try AgentCard(json: json)
    }
}
