import MeshCore

extension OwnerCertificate {
    /// How far `issuedAt` may be ahead of our clock (the owner's clock may run fast).
    public static let maximumClockSkew: Duration = .seconds(600)

    /// Whether the signature is the owner's, under the certificate's own domain.
    public var isAuthentic: Bool {
        owner.isValidSignature(
            signature,
            for: OwnerCertificate.signedBytes(
                owner: owner,
                agent: agent,
                serial: serial,
                issuedAt: issuedAt,
                expiresAt: expiresAt
            ),
            domain: .ownerCertificate
        )
    }

    /// Decides whether `agent` may claim this certificate now: forged, for another agent, from an owner not in
    /// `owners` (nil accepts any owner), revoked by one of `revocations`, not yet valid, or expired, checked in that
    /// order. Returns the owner key on success. Pure: `now` comes from the caller.
    public func verify(
        presentedBy agent: Ed25519.PublicKey,
        owners: Set<Ed25519.PublicKey>?,
        revocations: [OwnerRevocation],
        now: Timestamp
    ) -> Result<Ed25519.PublicKey, CertificateRefusal> {
        guard isAuthentic else {
            return .failure(CertificateRefusal(.forged, "the signature of \(owner.did) does not verify"))
        }
        guard self.agent == agent else {
            return .failure(CertificateRefusal(.otherAgent, "signed for \(self.agent.did), presented by \(agent.did)"))
        }
        if let owners, !owners.contains(owner) {
            return .failure(CertificateRefusal(.ownerNotListed, "owner \(owner.did) is not listed for this intent"))
        }
        if let revocation = revocations.first(where: { $0.revokes(self) }) {
            return .failure(
                CertificateRefusal(.revoked, "serial \(serial) revoked at \(revocation.revokedAt.secondsSinceEpoch)")
            )
        }
        guard issuedAt <= now + OwnerCertificate.maximumClockSkew else {
            return .failure(
                CertificateRefusal(
                    .notYetValid,
                    "issued at \(issuedAt.secondsSinceEpoch), now is \(now.secondsSinceEpoch)"
                )
            )
        }
        guard now < expiresAt else {
            return .failure(
                CertificateRefusal(
                    .expired,
                    "expired at \(expiresAt.secondsSinceEpoch), now is \(now.secondsSinceEpoch)"
                )
            )
        }
        return .success(owner)
    }
}
