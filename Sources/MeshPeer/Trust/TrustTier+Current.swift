import MeshCore

extension TrustTier {
    /// The tier a contact holds at `now`. `owner-verified` lasts only as long as the certificate it was accepted
    /// with: once that has expired, or a revocation of it is known (from the contact's record or its owner's,
    /// decision 0100), the contact falls back to `contact` (or `knocked-accepted` before its first message). A
    /// contact stored as `owner-verified` without its certificate (accepted before certificates were kept) falls
    /// back too: nothing says it still holds. Other tiers are returned as stored. Pure: `now` comes from the caller.
    public static func current(
        stored: TrustTier,
        certificate: OwnerCertificate?,
        hasMessaged: Bool,
        revocations: [OwnerRevocation],
        now: Timestamp
    ) -> TrustTier {
        guard stored == .ownerVerified else { return stored }
        let fallback: TrustTier = hasMessaged ? .contact : .knockedAccepted
        guard let certificate, now < certificate.expiresAt else { return fallback }
        guard !revocations.contains(where: { $0.revokes(certificate) }) else { return fallback }
        return .ownerVerified
    }
}
