/// Sizes an audit entry may have. The node writes entries itself, but some fields come from peers (an intent, a
/// knock's purpose, a reason): they are cut to these lengths before they are hashed, so a peer cannot make the log
/// grow without bound, and the store refuses rows beyond them when it reads the log back.
public enum AuditLimits {
    public static let kindBytes = 64
    public static let peerBytes = 256
    public static let intentBytes = 128
    public static let pathBytes = 32
    public static let detailPairs = 16
    public static let detailKeyBytes = 64
    /// A detail value: a reason, a purpose, or a body when the owner opted in to bodies (cut beyond this).
    public static let detailValueBytes = 64 * 1024

    /// `record` with every field cut to its limit (at a character boundary) and at most `detailPairs` details
    /// (the first in key order are kept).
    public static func clamp(_ record: AuditEntry.Record) -> AuditEntry.Record {
        var record = record
        record.kind = AuditEntry.Kind(cut(record.kind.rawValue, kindBytes))
        record.peer = record.peer.map { cut($0, peerBytes) }
        record.intent = record.intent.map { cut($0, intentBytes) }
        record.path = record.path.map { cut($0, pathBytes) }
        record.size = record.size.map { max($0, 0) }
        var detail: [String: String] = [:]
        for key in record.detail.keys.sorted().prefix(detailPairs) {
            detail[cut(key, detailKeyBytes)] = cut(record.detail[key] ?? "", detailValueBytes)
        }
        record.detail = detail
        return record
    }

    /// A breaker or decision reason: at most `reasonBytes`.
    public static let reasonBytes = 500

    public static func clampReason(_ reason: String) -> String { cut(reason, reasonBytes) }

    /// The longest prefix of `text` that fits in `bytes` UTF-8 bytes.
    static func cut(_ text: String, _ bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > bytes { break }
            result.append(character)
            used += size
        }
        return result
    }

    /// Whether `record` is within the limits (a row read back that is not was written by something else).
    public static func fits(_ record: AuditEntry.Record) -> Bool {
        record.kind.rawValue.utf8.count <= kindBytes && (record.peer?.utf8.count ?? 0) <= peerBytes
            && (record.intent?.utf8.count ?? 0) <= intentBytes && (record.path?.utf8.count ?? 0) <= pathBytes
            && (record.size ?? 0) >= 0 && record.detail.count <= detailPairs
            && record.detail.allSatisfy {
                $0.key.utf8.count <= detailKeyBytes && $0.value.utf8.count <= detailValueBytes
            }
    }
}
