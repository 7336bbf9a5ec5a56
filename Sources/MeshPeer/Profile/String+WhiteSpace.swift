extension String {
    /// The text without leading and trailing white space: the Unicode White_Space scalars, the set Foundation's
    /// `.whitespacesAndNewlines` names. Foundation's `trimmingCharacters` bridges through `NSString`, a few
    /// microseconds per call, and a card's every skill id and tag is trimmed (announcing capabilities, and again
    /// for each record an indexer reads); most have nothing to trim and are returned as they are.
    public func trimmedOfWhiteSpace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        guard let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[first...last])
    }
}
