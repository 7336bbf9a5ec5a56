import MeshCore

extension DoubleRatchet {
    /// RatchetEncrypt(HE): steps the sending chain and seals `plaintext` under the message key.
    ///
    /// The body's associated data is `u16 len(AD) ‖ AD ‖ header-as-sent ‖ binding`, so the header is authenticated
    /// whether or not it is encrypted; `binding` is whatever else travels with the message (the envelope's X3DH
    /// header). `random` supplies the header nonce (header encryption only).
    public mutating func encrypt<R: RandomSource>(
        _ plaintext: [UInt8],
        binding: [UInt8] = [],
        random: inout R
    ) throws -> RatchetMessage {
        guard plaintext.count <= limits.maximumPlaintextByteCount else {
            throw RatchetError(.oversize, "plaintext of \(plaintext.count) bytes exceeds the message limit")
        }
        guard let chainKey = sendingChainKey else {
            throw RatchetError(.cannotSend, "a responder sends only after its first received message")
        }
        guard sendCount < UInt32.max else {
            throw RatchetError(.cannotSend, "sending chain exhausted; wait for the peer's reply")
        }
        let step = RatchetKDF.chain(chainKey)
        let header = RatchetHeader(
            ratchetKey: sendingRatchetKey.publicKey,
            previousChainLength: previousSendCount,
            messageNumber: sendCount
        )
        let headerBytes: [UInt8]
        if headerEncryption {
            // Set with sendingChainKey in every header-encryption state our own code made.
            guard let headerKey = sendingHeaderKey else {
                throw RatchetError(.corruptState, "a sending chain without its header key")
            }
            headerBytes = try Self.sealHeader(header, key: headerKey, associatedData: associatedData, &random)
        } else {
            headerBytes = header.encoded
        }
        let ciphertext = try Self.sealBody(
            plaintext,
            messageKey: step.message,
            associatedData: Self.bodyAssociatedData(associatedData, headerBytes, binding)
        )
        sendingChainKey = step.chain
        sendCount += 1
        return RatchetMessage(header: headerBytes, ciphertext: ciphertext)
    }

    static func bodyAssociatedData(_ associatedData: [UInt8], _ header: [UInt8], _ binding: [UInt8]) -> [UInt8] {
        var writer = WireWriter(capacity: 2 + associatedData.count + header.count + binding.count)
        writer.writeLengthPrefixed(associatedData, .uint16)
        writer.write(raw: header)
        writer.write(raw: binding)
        return writer.bytes
    }

    static func sealBody(_ plaintext: [UInt8], messageKey: RatchetKey, associatedData: [UInt8]) throws -> [UInt8] {
        let cipher = RatchetKDF.messageCipher(messageKey)
        return try XChaCha20Poly1305.seal(
            plaintext,
            borrowedKey: cipher.key,
            nonce: cipher.nonce,
            authenticating: associatedData
        )
    }

    static func openBody(_ ciphertext: [UInt8], messageKey: RatchetKey, associatedData: [UInt8]) throws -> [UInt8] {
        let cipher = RatchetKDF.messageCipher(messageKey)
        do {
            return try XChaCha20Poly1305.open(
                ciphertext,
                borrowedKey: cipher.key,
                nonce: cipher.nonce,
                authenticating: associatedData
            )
        } catch {
            throw RatchetError(.authenticationFailed, "message body does not authenticate")
        }
    }

    /// HENCRYPT: a random 24-byte nonce (the header key seals many headers), then the sealed 40-byte header.
    static func sealHeader<R: RandomSource>(
        _ header: RatchetHeader,
        key: RatchetKey,
        associatedData: [UInt8],
        _ random: inout R
    ) throws -> [UInt8] {
        let nonce = random.bytes(count: XChaCha20Poly1305.nonceByteCount)
        return nonce
            + (try XChaCha20Poly1305.seal(
                header.encoded,
                borrowedKey: key,
                nonce: nonce,
                authenticating: associatedData
            ))
    }

    /// HDECRYPT: nil when `key` does not open it (the caller tries the next key).
    static func openHeader(_ sealed: [UInt8], key: RatchetKey, associatedData: [UInt8]) -> RatchetHeader? {
        guard sealed.count == RatchetMessage.encryptedHeaderByteCount else { return nil }
        let nonce = Array(sealed.prefix(XChaCha20Poly1305.nonceByteCount))
        let body = Array(sealed.dropFirst(XChaCha20Poly1305.nonceByteCount))
        guard
            let plain = try? XChaCha20Poly1305.open(
                body,
                borrowedKey: key,
                nonce: nonce,
                authenticating: associatedData
            )
        else { return nil }
        return try? RatchetHeader(decoding: plain)
    }
}
