import MeshCore

/// The policy's verdict on a knock together with what the node learnt about the knocker's owner certificate.
public struct KnockJudgement: Hashable, Sendable {
    public let verdict: KnockVerdict
    /// `ownerVerified` when the certificate verified against a listed owner, else `unknown`.
    public let tier: TrustTier
    /// The certificate's outcome: the owner key, or why it was refused; nil when the knock carried none and no rule
    /// asked for one.
    public let certificate: Result<Ed25519.PublicKey, CertificateRefusal>?

    /// For the audit log: `verified by did:key:…`, or the refusal (`expired: …`).
    public var certificateDetail: String? {
        switch certificate {
        case .success(let owner): "verified by \(owner.did)"
        case .failure(let refusal): refusal.description
        case nil: nil
        }
    }
}

extension KnockPolicy {
    /// Decides a knock whose body may carry `credentials` (decision 0093); `published` is what the knocker's own
    /// record carries, whose revocations (and a newer certificate, which supersedes an older serial) count too;
    /// `ownerRevocations` are those the owners published under their own keys (decision 0100).
    /// Precedence: `deny`; a `requireOwner`
    /// rule for the intent (exact, then the longest `prefix.*`), which rejects a knock whose certificate is missing
    /// or refused; then `decide`'s order with the knocker's tier (`tiers` after `allow` and introductions).
    public func judge(
        sender: Ed25519.PublicKey,
        intent: String,
        introducedByContact: Bool,
        credentials: OwnerCredentials?,
        published: OwnerCredentials? = nil,
        ownerRevocations: [OwnerRevocation] = [],
        now: Timestamp
    ) -> KnockJudgement {
        let did = sender.did
        if deny.contains(did) {
            return KnockJudgement(verdict: .reject(rule: "deny"), tier: .unknown, certificate: nil)
        }
        var certificate: Result<Ed25519.PublicKey, CertificateRefusal>?
        if let (pattern, required) = ownerRequirement(for: intent) {
            let listed = Set(required.compactMap { try? DIDKey.decode($0) })
            certificate =
                credentials.map {
                    KnockPolicy.verify(
                        $0,
                        sender: sender,
                        owners: listed,
                        published: published,
                        ownerRevocations: ownerRevocations,
                        now: now
                    )
                }
                ?? .failure(CertificateRefusal(.missing, "intent \(intent) needs a certificate from a listed owner"))
            if case .failure(let refusal) = certificate {
                return KnockJudgement(
                    verdict: .reject(rule: "requireOwner[\(pattern)]: \(refusal)"),
                    tier: .unknown,
                    certificate: certificate
                )
            }
        } else if let credentials {
            certificate = KnockPolicy.verify(
                credentials,
                sender: sender,
                owners: trustedOwnerKeys,
                published: published,
                ownerRevocations: ownerRevocations,
                now: now
            )
        }
        let tier: TrustTier = if case .success = certificate { .ownerVerified } else { .unknown }
        let verdict = decide(sender: did, intent: intent, introducedByContact: introducedByContact, tier: tier)
        return KnockJudgement(verdict: verdict, tier: tier, certificate: certificate)
    }

    /// The `requireOwner` rule for `intent`: the exact name, else the longest matching `prefix.*`.
    func ownerRequirement(for intent: String) -> (pattern: String, owners: [String])? {
        if let owners = requireOwner[intent] { return (intent, owners) }
        let wildcard =
            requireOwner.keys
            .filter { $0.hasSuffix(".*") && intent.hasPrefix($0.dropLast()) }
            .max { $0.utf8.count < $1.utf8.count }
        guard let wildcard, let owners = requireOwner[wildcard] else { return nil }
        return (wildcard, owners)
    }

    /// `credentials` checked with the revocations the knocker's record publishes; a published certificate from the
    /// same owner with a larger serial supersedes the presented one (it is refused as revoked).
    static func verify(
        _ credentials: OwnerCredentials,
        sender: Ed25519.PublicKey,
        owners: Set<Ed25519.PublicKey>,
        published: OwnerCredentials?,
        ownerRevocations: [OwnerRevocation] = [],
        now: Timestamp
    ) -> Result<Ed25519.PublicKey, CertificateRefusal> {
        let result = credentials.verify(
            presentedBy: sender,
            owners: owners,
            extraRevocations: (published?.revocations ?? []) + ownerRevocations,
            now: now
        )
        let presented = credentials.certificate
        if case .success = result, let newer = published?.certificate, newer.isAuthentic,
            newer.owner == presented.owner,
            newer.agent == presented.agent, newer.serial > presented.serial
        {
            return .failure(
                CertificateRefusal(.revoked, "serial \(presented.serial) superseded by \(newer.serial) in the record")
            )
        }
        return result
    }

    /// Whether any rule names an owner: only then does the node look the knocker's record up for revocations.
    public var namesOwners: Bool { !owners.isEmpty || !requireOwner.isEmpty }

    /// Every owner the policy names (`owners` and all `requireOwner` lists).
    public var trustedOwnerKeys: Set<Ed25519.PublicKey> {
        Set((owners + requireOwner.values.flatMap { $0 }).compactMap { try? DIDKey.decode($0) })
    }

    static func decodeTiers(_ container: KeyedDecodingContainer<CodingKeys>) throws -> [TrustTier: Rule] {
        let named = try container.decodeIfPresent([String: Rule].self, forKey: .tiers) ?? [:]
        var tiers: [TrustTier: Rule] = [:]
        for (name, rule) in named.sorted(by: { $0.key < $1.key }) {
            guard let tier = TrustTier(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .tiers,
                    in: container,
                    debugDescription:
                        "`tiers`: \"\(name)\" is not a tier (\(TrustTier.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            tiers[tier] = rule
        }
        return tiers
    }

    func validateOwners(_ container: KeyedDecodingContainer<CodingKeys>) throws {
        for pattern in requireOwner.keys.sorted() {
            guard KnockPolicy.isIntentPattern(pattern) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .requireOwner,
                    in: container,
                    debugDescription:
                        "`requireOwner`: \"\(pattern)\" is neither an intent name nor a namespace ending in `.*`"
                )
            }
            guard let owners = requireOwner[pattern], !owners.isEmpty, owners.count <= KnockPolicy.maximumOwners else {
                throw DecodingError.dataCorruptedError(
                    forKey: .requireOwner,
                    in: container,
                    debugDescription: "`requireOwner[\(pattern)]` lists 1 to \(KnockPolicy.maximumOwners) owner DIDs"
                )
            }
        }
        guard owners.count <= KnockPolicy.maximumOwners else {
            throw DecodingError.dataCorruptedError(
                forKey: .owners,
                in: container,
                debugDescription: "`owners` lists at most \(KnockPolicy.maximumOwners) DIDs"
            )
        }
        for did in owners + requireOwner.values.flatMap({ $0 }) where (try? DIDKey.decode(did)) == nil {
            throw DecodingError.dataCorruptedError(
                forKey: requireOwner.values.contains { $0.contains(did) } ? .requireOwner : .owners,
                in: container,
                debugDescription: "owner \"\(did)\" is not a did:key"
            )
        }
    }

    /// Owner DIDs in one list (the policy file is the owner's, but its lists are still bounded).
    public static let maximumOwners = 64
}
