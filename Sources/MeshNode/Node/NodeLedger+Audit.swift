import GRDB
import MeshCore
import MeshPeer

extension NodeLedger {
    /// Appends an audit entry inside the caller's transaction: it commits with what it records, or not at all.
    func audit(_ record: AuditEntry.Record, now: Timestamp, _ db: Database) throws {
        try AuditStore.append(record, node: identity.publicKey, now: now, db)
    }

    /// A message sent or received: peer, intent, size and path; its body only when the owner opted in.
    func auditMessage(
        _ kind: AuditEntry.Kind,
        peer: String,
        intent: String,
        body: [UInt8],
        path: String,
        now: Timestamp,
        _ db: Database
    ) throws {
        var detail: [String: String] = [:]
        if try AuditStore.recordsBodies(db) { detail["body"] = String(decoding: body, as: UTF8.self) }
        try audit(
            AuditEntry.Record(kind: kind, peer: peer, intent: intent, size: body.count, path: path, detail: detail),
            now: now,
            db
        )
    }

    /// A knock's decision, as the audit log keeps it.
    /// `certificate` and `tier` are what the policy learnt of the knocker's owner certificate (decision 0093).
    func auditKnock(
        _ kind: AuditEntry.Kind,
        _ knock: StoredKnock,
        by: String,
        certificate: String? = nil,
        tier: TrustTier? = nil,
        now: Timestamp,
        _ db: Database
    ) throws {
        var detail = ["state": knock.state.rawValue, "by": by, "purpose": knock.purpose]
        if let certificate { detail["certificate"] = certificate }
        if let tier { detail["tier"] = tier.rawValue }
        if let rule = knock.rule { detail["rule"] = rule }
        if let reason = knock.reason { detail["reason"] = reason }
        if let introducer = knock.introducedBy { detail["introduced_by"] = introducer }
        try audit(
            AuditEntry.Record(
                kind: kind,
                peer: knock.peer,
                intent: knock.intent,
                size: knock.byteCount,
                path: "relay",
                detail: detail
            ),
            now: now,
            db
        )
    }
}
