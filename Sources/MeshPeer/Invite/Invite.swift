import MeshCore

/// What an owner hands over out of band so that one peer can find a private agent (docs/exposure.md, decision
/// 0083): the agent's key, a random secret and an expiry, as `meshpeer:invite:v1:<base58>`.
///
/// The base58 payload is `agent key (32) ‖ secret (16) ‖ expiry (u32 Unix seconds, 0 = none) ‖ checksum (4)`, the
/// checksum being the first four bytes of SHA-256 over the label `meshpeer/v1/invite-checksum`, a zero byte and
/// the preceding 52 bytes. The secret never leaves the invite: the DHT sees only keys derived from it
/// (`InviteSlot`).
public struct Invite: Sendable {
    public static let prefix = "meshpeer:invite:v1:"
    public static let secretByteCount = 16
    static let checksumByteCount = 4
    static let payloadByteCount = Ed25519.publicKeyByteCount + secretByteCount + 4 + checksumByteCount
    /// Longer text is refused before any decoding (base58 decoding is quadratic).
    public static let maximumTextLength = 160

    public let agentKey: Ed25519.PublicKey
    /// 16 random bytes, in zeroed-on-release memory.
    public let secret: SecureBytes
    /// Nil when the invite does not expire. Whole seconds.
    public let expiresAt: Timestamp?

    public var did: String { agentKey.did }

    public init(agentKey: Ed25519.PublicKey, secret: SecureBytes, expiresAt: Timestamp?) throws(InviteError) {
        guard secret.count == Invite.secretByteCount else {
            throw InviteError(.malformed, "an invite secret is \(Invite.secretByteCount) bytes, not \(secret.count)")
        }
        if let expiresAt, expiresAt.secondsSinceEpoch <= 0 || expiresAt.secondsSinceEpoch > Int64(UInt32.max) {
            throw InviteError(.malformed, "expiry \(expiresAt) is outside what an invite can carry")
        }
        self.agentKey = agentKey
        self.secret = secret
        self.expiresAt = expiresAt.map { Timestamp(secondsSinceEpoch: $0.secondsSinceEpoch) }
    }

    /// A fresh invite for `agentKey`, its secret from `random`.
    public static func make<R: RandomSource>(
        for agentKey: Ed25519.PublicKey,
        expiresAt: Timestamp?,
        random: inout R
    ) throws(InviteError) -> Invite {
        try Invite(agentKey: agentKey, secret: random.secureBytes(count: secretByteCount), expiresAt: expiresAt)
    }

    /// The text to hand over.
    public var text: String {
        var body = agentKey.rawRepresentation + secret.copyBytes()
        defer { secureZero(&body) }
        let seconds = UInt32(clamping: expiresAt?.secondsSinceEpoch ?? 0)
        body += [
            UInt8(seconds >> 24), UInt8((seconds >> 16) & 0xFF), UInt8((seconds >> 8) & 0xFF), UInt8(seconds & 0xFF),
        ]
        var payload = body + Invite.checksum(body)
        defer { secureZero(&payload) }
        return Invite.prefix + Base58.encode(payload)
    }

    /// Parses invite text strictly: the prefix, the alphabet, the length, the checksum, a valid key. Surrounding
    /// whitespace is forgiven (it is pasted); nothing else is.
    public static func parse(_ text: String) throws(InviteError) -> Invite {
        guard text.utf8.count <= maximumTextLength else {
            throw InviteError(.malformed, "\(text.utf8.count) characters; an invite is at most \(maximumTextLength)")
        }
        let trimmed = text.trimmingWhitespace
        guard trimmed.hasPrefix("meshpeer:invite:") else {
            throw InviteError(.malformed, "an invite starts with \(prefix)")
        }
        guard trimmed.hasPrefix(prefix) else {
            throw InviteError(.unsupportedVersion, "this build reads \(prefix) invites")
        }
        guard var payload = Base58.decode(String(trimmed.dropFirst(prefix.count))) else {
            throw InviteError(.malformed, "the invite is not base58")
        }
        defer { secureZero(&payload) }
        guard payload.count == payloadByteCount else {
            throw InviteError(.malformed, "the invite holds \(payload.count) bytes, not \(payloadByteCount)")
        }
        var body = Array(payload.prefix(payloadByteCount - checksumByteCount))
        defer { secureZero(&body) }
        guard ConstantTime.equals(checksum(body), Array(payload.suffix(checksumByteCount))) else {
            throw InviteError(.badChecksum, "the checksum does not match; the invite was mistyped or cut short")
        }
        let key: Ed25519.PublicKey
        do {
            key = try Ed25519.PublicKey(rawRepresentation: Array(body.prefix(Ed25519.publicKeyByteCount)))
        } catch {
            throw InviteError(.malformed, "the agent key: \(error)")
        }
        let secret = SecureBytes(body[Ed25519.publicKeyByteCount..<(Ed25519.publicKeyByteCount + secretByteCount)])
        let seconds = body.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return try Invite(
            agentKey: key,
            secret: secret,
            expiresAt: seconds == 0 ? nil : Timestamp(secondsSinceEpoch: Int64(seconds))
        )
    }

    /// Refuses an invite past its expiry.
    public func checkExpiry(now: Timestamp) throws(InviteError) {
        if let expiresAt, expiresAt <= now { throw InviteError(.expired, "the invite expired at \(expiresAt)") }
    }

    static func checksum(_ body: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(Array("meshpeer/v1/invite-checksum".utf8) + [0] + body).prefix(checksumByteCount))
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return Substring(scalars[first...last])
    }
}
