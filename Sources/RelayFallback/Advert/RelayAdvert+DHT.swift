import MeshCore

extension RelayAdvert {
    /// The bytes a relay puts in its provider record's hints; refused if they do not fit there.
    public func encodedForDHT() throws -> [UInt8] {
        let bytes = encoded()
        guard bytes.count <= Self.maximumDHTBytes else {
            throw RelayAdvertError(
                .tooLargeForDHT,
                "\(bytes.count) bytes; a provider record carries \(Self.maximumDHTBytes) (advertise fewer addresses)"
            )
        }
        return bytes
    }

    /// Reads an advert out of a provider record found under `providerKey`: decoded strictly, signed by the
    /// relay that signed the provider record (so one relay cannot publish another's advert as its own), and
    /// valid now.
    public static func fromProviderHints(
        _ hints: [UInt8],
        provider: Ed25519.PublicKey,
        now: Timestamp
    ) throws -> RelayAdvert {
        let advert = try decode(hints)
        guard advert.relayKey == provider else {
            throw RelayAdvertError(.wrongProvider, "the advert names another relay than the provider record's signer")
        }
        try advert.validate(now: now)
        return advert
    }
}
