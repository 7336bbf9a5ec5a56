import MeshCore

extension DoubleRatchet {
    static let stateVersion: UInt8 = 1

    /// The whole state, secrets included, for the session store (which encrypts it at rest).
    public func encodedState() -> SecureBytes {
        encodingState { writer in encode(to: &writer) }
    }

    /// Restores a state; `limits` are configuration, not state. Throws `corruptState`.
    public init(decodingState bytes: SecureBytes, limits: RatchetLimits = .default) throws {
        self = try decodingState(bytes) { reader in try DoubleRatchet(from: &reader, limits: limits) }
    }

    func encode(to writer: inout WireWriter) {
        writer.write(DoubleRatchet.stateVersion)
        writer.write(headerEncryption)
        writer.writeLengthPrefixed(associatedData, .uint16)
        writer.writeSecret(rootKey)
        writer.writeSecret(sendingRatchetKey.secret)
        writer.write(raw: sendingRatchetKey.publicKey.rawRepresentation)
        writer.writeOptionalKey(remoteRatchetKey)
        writer.writeOptionalSecret(sendingChainKey)
        writer.writeOptionalSecret(receivingChainKey)
        writer.write(sendCount)
        writer.write(receiveCount)
        writer.write(previousSendCount)
        for key in [sendingHeaderKey, receivingHeaderKey, nextSendingHeaderKey, nextReceivingHeaderKey] {
            writer.writeOptionalSecret(key)
        }
        writer.write(UInt32(skipped.entries.count))
        for entry in skipped.entries {
            writer.writeSecret(entry.chain)
            writer.write(entry.number)
            writer.writeSecret(entry.messageKey)
        }
    }

    init(from reader: inout WireReader, limits: RatchetLimits) throws {
        guard try reader.readUInt8() == DoubleRatchet.stateVersion else {
            throw RatchetError(.corruptState, "unknown ratchet state version")
        }
        let headerEncryption = try reader.readBool()
        let associatedData = try reader.readLengthPrefixed(.uint16, maximum: 1_024)
        let rootKey = try reader.readKey()
        self.init(
            headerEncryption: headerEncryption,
            associatedData: associatedData,
            limits: limits,
            rootKey: rootKey,
            sendingRatchetKey: RatchetKeyPair(secret: try reader.readKey(), publicKey: try reader.readPublicKey())
        )
        remoteRatchetKey = try reader.readOptionalKey()
        sendingChainKey = try reader.readOptionalSecret()
        receivingChainKey = try reader.readOptionalSecret()
        sendCount = try reader.readUInt32()
        receiveCount = try reader.readUInt32()
        previousSendCount = try reader.readUInt32()
        sendingHeaderKey = try reader.readOptionalSecret()
        receivingHeaderKey = try reader.readOptionalSecret()
        nextSendingHeaderKey = try reader.readOptionalSecret()
        nextReceivingHeaderKey = try reader.readOptionalSecret()
        let count = try reader.readCount(.uint32, maximum: max(limits.maximumStoredSkippedKeys, 0))
        var entries: [SkippedMessageKeys.Entry] = []
        for _ in 0..<count {
            let chain = try reader.readKey()
            let number = try reader.readUInt32()
            entries.append(.init(chain: chain, number: number, messageKey: try reader.readKey()))
        }
        skipped = SkippedMessageKeys(entries: entries)
    }
}

extension RatchetSession {
    static let stateVersion: UInt8 = 1

    public func encodedState() -> SecureBytes {
        encodingState { writer in
            writer.write(RatchetSession.stateVersion)
            writer.write(raw: remoteIdentity.rawRepresentation)
            writer.write(raw: baseKey.rawRepresentation)
            writer.write(pendingInitialHeader != nil)
            if let header = pendingInitialHeader {
                writer.write(raw: header.identityKey.rawRepresentation)
                writer.write(raw: header.ephemeralKey.rawRepresentation)
                writer.write(raw: header.signedPrekey.rawRepresentation)
                writer.writeOptionalKey(header.oneTimePrekey)
            }
            ratchet.encode(to: &writer)
        }
    }

    /// Restores a session, checking the stored peer key from scratch (an Ed25519 point validation).
    public init(decodingState bytes: SecureBytes, limits: RatchetLimits = .default) throws {
        try self.init(decodingState: bytes, expectedPeer: nil, limits: limits)
    }

    /// Restores a session the caller already knows the peer of (the store's row key): the stored key must equal
    /// `remoteIdentity` byte for byte, which spares the point validation on every load.
    public init(
        decodingState bytes: SecureBytes,
        remoteIdentity: Ed25519.PublicKey,
        limits: RatchetLimits = .default
    )
        throws
    {
        try self.init(decodingState: bytes, expectedPeer: remoteIdentity, limits: limits)
    }

    init(decodingState bytes: SecureBytes, expectedPeer: Ed25519.PublicKey?, limits: RatchetLimits) throws {
        self = try decodingState(bytes) { reader in
            try RatchetSession(from: &reader, expectedPeer: expectedPeer, limits: limits)
        }
    }

    init(from reader: inout WireReader, expectedPeer: Ed25519.PublicKey?, limits: RatchetLimits) throws {
        guard try reader.readUInt8() == RatchetSession.stateVersion else {
            throw RatchetError(.corruptState, "unknown session state version")
        }
        let stored = try reader.readBytes(Ed25519.publicKeyByteCount)
        let remote: Ed25519.PublicKey
        if let expectedPeer {
            guard stored == expectedPeer.rawRepresentation else {
                throw RatchetError(.corruptState, "a stored session belongs to another peer")
            }
            remote = expectedPeer
        } else {
            remote = try Ed25519.PublicKey(rawRepresentation: stored)
        }
        let baseKey = try reader.readPublicKey()
        var pending: X3DHInitialHeader?
        if try reader.readBool() {
            pending = X3DHInitialHeader(
                identityKey: try Ed25519.PublicKey(rawRepresentation: reader.readBytes(Ed25519.publicKeyByteCount)),
                ephemeralKey: try reader.readPublicKey(),
                signedPrekey: try reader.readPublicKey(),
                oneTimePrekey: try reader.readOptionalKey()
            )
        }
        self.init(
            remoteIdentity: remote,
            baseKey: baseKey,
            ratchet: try DoubleRatchet(from: &reader, limits: limits),
            pendingInitialHeader: pending
        )
    }
}
