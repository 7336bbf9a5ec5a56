import MeshCore

/// The dashboard's login codes and sessions, with no IO: every call takes the current instant, and new secrets
/// come from the random source it is given.
///
/// - A login code is issued to a bearer-token holder (`meshpeer dashboard`), lives `codeLifetime` and is
///   redeemed at most once, for a session.
/// - A session is a 256-bit cookie value with its own 256-bit CSRF token; it ends after `sessionLifetime` or at
///   logout. Lookups compare every stored value in constant time, so timing says nothing about a guess.
/// - Both tables are bounded: a new entry beyond the bound evicts the oldest (its secret zeroed).
struct DashboardSessionTable: Sendable {
    struct Limits: Sendable {
        var codeLifetime: Duration = .seconds(60)
        var sessionLifetime: Duration = .seconds(8 * 3_600)
        var maximumCodes = 8
        var maximumSessions = 16
    }

    /// A logged-in browser: the cookie value and the CSRF token its forms carry, both hex.
    struct Session: Sendable, Hashable {
        var cookie: String
        var csrf: String
        var expires: ContinuousClock.Instant
    }

    private struct Secret: Sendable {
        var bytes: [UInt8]
        var expires: ContinuousClock.Instant
        var csrf: [UInt8] = []
    }

    static let secretByteCount = 32

    let limits: Limits
    private var codes: [Secret] = []
    private var sessions: [Secret] = []

    init(limits: Limits = Limits()) { self.limits = limits }

    var sessionCount: Int { sessions.count }

    /// A new single-use login code (hex), valid for `limits.codeLifetime` from `now`.
    mutating func issueCode(now: ContinuousClock.Instant, random: inout some RandomSource) -> String {
        expire(now: now)
        let bytes = random.bytes(count: Self.secretByteCount)
        Self.append(Secret(bytes: bytes, expires: now + limits.codeLifetime), to: &codes, bound: limits.maximumCodes)
        return Hex.encode(bytes)
    }

    /// Spends a login code: a session when it is one this table issued, unused and unexpired; nil otherwise.
    mutating func redeem(
        code: String,
        now: ContinuousClock.Instant,
        random: inout some RandomSource
    ) -> Session? {
        expire(now: now)
        guard let presented = Self.secretBytes(code), let index = Self.find(presented, in: codes) else { return nil }
        Self.zero(&codes[index])
        codes.remove(at: index)
        let cookie = random.bytes(count: Self.secretByteCount)
        let csrf = random.bytes(count: Self.secretByteCount)
        let expires = now + limits.sessionLifetime
        Self.append(
            Secret(bytes: cookie, expires: expires, csrf: csrf),
            to: &sessions,
            bound: limits.maximumSessions
        )
        return Session(cookie: Hex.encode(cookie), csrf: Hex.encode(csrf), expires: expires)
    }

    /// The live session whose cookie value is `cookie`.
    mutating func session(cookie: String, now: ContinuousClock.Instant) -> Session? {
        expire(now: now)
        guard let presented = Self.secretBytes(cookie), let index = Self.find(presented, in: sessions) else {
            return nil
        }
        let found = sessions[index]
        return Session(cookie: Hex.encode(found.bytes), csrf: Hex.encode(found.csrf), expires: found.expires)
    }

    /// True when `token` is this session's CSRF token (constant time).
    static func csrfMatches(_ token: String, _ session: Session) -> Bool {
        ConstantTime.equals(Array(token.utf8), Array(session.csrf.utf8))
    }

    /// Ends the session with this cookie value, if there is one.
    mutating func end(cookie: String) {
        guard let presented = Self.secretBytes(cookie), let index = Self.find(presented, in: sessions) else { return }
        Self.zero(&sessions[index])
        sessions.remove(at: index)
    }

    /// Ends every session and unused login code: the API token they were issued under was rotated.
    mutating func endAll() {
        for index in codes.indices { Self.zero(&codes[index]) }
        for index in sessions.indices { Self.zero(&sessions[index]) }
        codes.removeAll()
        sessions.removeAll()
    }

    private mutating func expire(now: ContinuousClock.Instant) {
        for index in codes.indices where codes[index].expires <= now { Self.zero(&codes[index]) }
        codes.removeAll { $0.expires <= now }
        for index in sessions.indices where sessions[index].expires <= now { Self.zero(&sessions[index]) }
        sessions.removeAll { $0.expires <= now }
    }

    private static func append(_ secret: Secret, to table: inout [Secret], bound: Int) {
        while table.count >= bound, !table.isEmpty {
            zero(&table[0])
            table.removeFirst()
        }
        table.append(secret)
    }

    /// Every entry is compared (no early exit), each comparison in constant time.
    private static func find(_ presented: [UInt8], in table: [Secret]) -> Int? {
        var match: Int?
        for (index, entry) in table.enumerated() where ConstantTime.equals(entry.bytes, presented) {
            match = index
        }
        return match
    }

    /// The bytes of a well-formed secret (64 hex characters), nil for anything else.
    private static func secretBytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count == secretByteCount * 2, let bytes = Hex.decode(text) else { return nil }
        return bytes
    }

    private static func zero(_ secret: inout Secret) {
        secureZero(&secret.bytes)
        secureZero(&secret.csrf)
    }
}
