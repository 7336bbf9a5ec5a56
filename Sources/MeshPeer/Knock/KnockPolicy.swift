import MeshCore

/// The owner's knock policy (`policy.json` in the data directory): who gets through, who is turned away, and what
/// waits for the owner. Decoded strictly: an unknown key, a malformed DID or intent pattern, or a difficulty over
/// `KnockWork.maximumDifficulty` is an error that names it.
///
/// ```json
/// { "default": "hold", "allow": ["did:key:z6Mk…"], "deny": [], "intents": {"chat.message": "accept", "x-acme.*": "reject"},
///   "acceptIntroducedByContacts": false, "difficulty": 12 }
/// ```
/// Precedence (`decide`): deny, allow, introduced by a contact, the intent's exact rule, the longest matching
/// `prefix.*` rule, the default. docs/knock.md explains each.
public struct KnockPolicy: Hashable, Sendable, Codable {
    public enum Rule: String, Hashable, Sendable, Codable, CaseIterable {
        case accept
        case reject
        case hold
    }

    public var `default`: Rule
    /// Always accepted (DIDs).
    public var allow: [String]
    /// Always rejected, silently: no decision goes back to the sender.
    public var deny: [String]
    /// Per-intent rules; a key is an intent name or a namespace ending in `.*`.
    public var intents: [String: Rule]
    /// Accept a knock introduced by an existing contact.
    public var acceptIntroducedByContacts: Bool
    /// The proof-of-work bits the node asks for in its record.
    public var difficulty: UInt8
    /// Intent name or `prefix.*` → owner DIDs: a knock for a matching intent must carry a certificate from one of
    /// them, or it is rejected with the certificate's refusal (decision 0093).
    public var requireOwner: [String: [String]]
    /// Owner DIDs whose verified certificates make a knocker `owner-verified`, besides those in `requireOwner`.
    public var owners: [String]
    /// Rules by the knocker's tier (`TrustTier` raw values), applied after `allow` and introductions.
    public var tiers: [TrustTier: Rule]

    public static let defaultDifficulty: UInt8 = 12

    public init(
        default rule: Rule = .hold,
        allow: [String] = [],
        deny: [String] = [],
        intents: [String: Rule] = [:],
        acceptIntroducedByContacts: Bool = false,
        difficulty: UInt8 = KnockPolicy.defaultDifficulty,
        requireOwner: [String: [String]] = [:],
        owners: [String] = [],
        tiers: [TrustTier: Rule] = [:]
    ) {
        self.default = rule
        self.allow = allow
        self.deny = deny
        self.intents = intents
        self.acceptIntroducedByContacts = acceptIntroducedByContacts
        self.difficulty = difficulty
        self.requireOwner = requireOwner
        self.owners = owners
        self.tiers = tiers
    }

    /// What to do with a knock that passed the gate. `introducedByContact` is the node's finding (the knock names an
    /// introducer who is one of our contacts), not the sender's claim.
    public func decide(sender: String, intent: String, introducedByContact: Bool) -> KnockVerdict {
        decide(sender: sender, intent: intent, introducedByContact: introducedByContact, tier: .unknown)
    }

    /// `decide` for a knocker whose tier the node has worked out (see `KnockPolicy.judge` for certificates).
    func decide(sender: String, intent: String, introducedByContact: Bool, tier: TrustTier) -> KnockVerdict {
        if deny.contains(sender) { return .reject(rule: "deny") }
        if allow.contains(sender) { return .accept(rule: "allow") }
        if introducedByContact && acceptIntroducedByContacts { return .accept(rule: "acceptIntroducedByContacts") }
        if let rule = tiers[tier] { return KnockVerdict(rule, "tiers[\(tier.rawValue)]") }
        if let rule = intents[intent] { return KnockVerdict(rule, "intents[\(intent)]") }
        let wildcard =
            intents.keys
            .filter { $0.hasSuffix(".*") && intent.hasPrefix($0.dropLast()) }
            .max { $0.utf8.count < $1.utf8.count }
        if let wildcard, let rule = intents[wildcard] { return KnockVerdict(rule, "intents[\(wildcard)]") }
        return KnockVerdict(self.default, "default")
    }
}

/// A policy's answer, with the rule that decided it (for the audit log).
public enum KnockVerdict: Hashable, Sendable {
    case accept(rule: String)
    case reject(rule: String)
    case hold(rule: String)

    init(_ rule: KnockPolicy.Rule, _ name: String) {
        switch rule {
        case .accept: self = .accept(rule: name)
        case .reject: self = .reject(rule: name)
        case .hold: self = .hold(rule: name)
        }
    }

    /// The rule that decided.
    public var rule: String {
        switch self {
        case .accept(let rule), .reject(let rule), .hold(let rule): rule
        }
    }
}
