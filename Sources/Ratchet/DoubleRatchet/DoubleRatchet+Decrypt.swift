import MeshCore

extension DoubleRatchet {
    /// RatchetDecrypt(HE). On any error the session is unchanged (the work happens on a copy).
    ///
    /// A hostile header can make us derive at most `limits.maximumSkip` message keys in total, and can make us
    /// try at most `limits.maximumSkippedChains + 2` header keys. `random` makes the next ratchet key when the
    /// message starts a new chain.
    public mutating func decrypt<R: RandomSource>(
        _ message: RatchetMessage,
        binding: [UInt8] = [],
        random: inout R
    ) throws -> [UInt8] {
        guard message.ciphertext.count <= limits.maximumPlaintextByteCount + XChaCha20Poly1305.tagByteCount else {
            throw RatchetError(.oversize, "ciphertext of \(message.ciphertext.count) bytes exceeds the message limit")
        }
        guard message.ciphertext.count >= XChaCha20Poly1305.tagByteCount else {
            throw RatchetError(.malformed, "ciphertext shorter than its tag")
        }
        var working = self
        let plaintext = try working.decryptInPlace(message, binding, &random)
        self = working
        return plaintext
    }

    private enum Route {
        case skipped(Int)
        case current
        case ratchet
    }

    private mutating func decryptInPlace<R: RandomSource>(
        _ message: RatchetMessage,
        _ binding: [UInt8],
        _ random: inout R
    ) throws -> [UInt8] {
        let bodyData = Self.bodyAssociatedData(associatedData, message.header, binding)
        let (header, route) = try headerEncryption ? locateSealed(message.header) : locatePlain(message.header)
        guard header.messageNumber < UInt32.max else {
            throw RatchetError(.malformed, "message number out of range")
        }
        switch route {
        case .skipped(let index):
            let plaintext = try Self.openBody(
                message.ciphertext,
                messageKey: skipped.entries[index].messageKey,
                associatedData: bodyData
            )
            skipped.remove(at: index)
            return plaintext
        case .ratchet:
            let pending = receivingChainKey == nil ? 0 : max(Int(header.previousChainLength) - Int(receiveCount), 0)
            try checkSkipBudget(pending + Int(header.messageNumber))
            try skipMessageKeys(until: header.previousChainLength)
            try dhRatchet(header, &random)
        case .current:
            try checkSkipBudget(Int(header.messageNumber) - Int(receiveCount))
        }
        try skipMessageKeys(until: header.messageNumber)
        // A receiving chain exists on both routes that reach here in any state our own code made.
        guard let chainKey = receivingChainKey else {
            throw RatchetError(.corruptState, "no receiving chain for a message of the current chain")
        }
        let step = RatchetKDF.chain(chainKey)
        let plaintext = try Self.openBody(message.ciphertext, messageKey: step.message, associatedData: bodyData)
        receivingChainKey = step.chain
        receiveCount += 1
        return plaintext
    }

    private func checkSkipBudget(_ count: Int) throws {
        guard count <= limits.maximumSkip else {
            throw RatchetError(.tooManySkipped, "the header asks for \(count) skipped keys, over MAX_SKIP")
        }
    }

    /// Header encryption: current header key, then the next one (a new chain), then chains with skipped keys.
    private func locateSealed(_ sealed: [UInt8]) throws -> (RatchetHeader, Route) {
        guard sealed.count == RatchetMessage.encryptedHeaderByteCount else {
            throw RatchetError(.malformed, "an encrypted header is \(RatchetMessage.encryptedHeaderByteCount) bytes")
        }
        if let current = receivingHeaderKey,
            let header = Self.openHeader(sealed, key: current, associatedData: associatedData)
        {
            return (header, try routeWithinChain(header, tag: current, isCurrent: true))
        }
        if let next = nextReceivingHeaderKey,
            let header = Self.openHeader(sealed, key: next, associatedData: associatedData)
        {
            return (header, .ratchet)
        }
        for tag in skipped.chains {
            if let current = receivingHeaderKey, current.constantTimeEquals(tag) { continue }
            if let header = Self.openHeader(sealed, key: tag, associatedData: associatedData) {
                return (header, try routeWithinChain(header, tag: tag, isCurrent: false))
            }
        }
        throw RatchetError(.headerNotDecryptable, "no header key of this session opens the header")
    }

    private func locatePlain(_ bytes: [UInt8]) throws -> (RatchetHeader, Route) {
        let header = try RatchetHeader(decoding: bytes)
        let tag = RatchetKey(consuming: header.ratchetKey.rawRepresentation)
        if header.ratchetKey == remoteRatchetKey {
            return (header, try routeWithinChain(header, tag: tag, isCurrent: true))
        }
        if let index = skipped.index(chain: tag, number: header.messageNumber) {
            return (header, .skipped(index))
        }
        return (header, .ratchet)
    }

    private func routeWithinChain(_ header: RatchetHeader, tag: RatchetKey, isCurrent: Bool) throws -> Route {
        if let index = skipped.index(chain: tag, number: header.messageNumber) { return .skipped(index) }
        guard isCurrent, header.messageNumber >= receiveCount else {
            throw RatchetError(.duplicate, "message \(header.messageNumber) was already received (or its key expired)")
        }
        return .current
    }

    /// Steps the receiving chain up to `until`, storing each key (both caps apply).
    private mutating func skipMessageKeys(until: UInt32) throws {
        guard var chainKey = receivingChainKey, receiveCount < until else { return }
        let tag: RatchetKey
        if headerEncryption, let key = receivingHeaderKey {
            tag = key
        } else if !headerEncryption, let key = remoteRatchetKey {
            tag = RatchetKey(consuming: key.rawRepresentation)
        } else {
            throw RatchetError(.corruptState, "a receiving chain without its header key or ratchet key")
        }
        var entries: [SkippedMessageKeys.Entry] = []
        while receiveCount < until {
            let step = RatchetKDF.chain(chainKey)
            entries.append(.init(chain: tag, number: receiveCount, messageKey: step.message))
            chainKey = step.chain
            receiveCount += 1
        }
        receivingChainKey = chainKey
        skipped.append(entries, limits: limits)
    }

    /// DHRatchet(HE): a new receiving chain from the peer's new key, then a new sending chain from a fresh key.
    private mutating func dhRatchet<R: RandomSource>(_ header: RatchetHeader, _ random: inout R) throws {
        previousSendCount = sendCount
        sendCount = 0
        receiveCount = 0
        if headerEncryption {
            sendingHeaderKey = nextSendingHeaderKey
            receivingHeaderKey = nextReceivingHeaderKey
        }
        remoteRatchetKey = header.ratchetKey
        let receiving = RatchetKDF.root(
            rootKey,
            try X3DH.dh(sendingRatchetKey.privateKey(), header.ratchetKey),
            withHeaderKey: headerEncryption
        )
        receivingChainKey = receiving.chain
        nextReceivingHeaderKey = receiving.nextHeader
        let newKey = X25519.PrivateKey(using: &random)
        sendingRatchetKey = RatchetKeyPair(newKey)
        let sending = RatchetKDF.root(
            receiving.root,
            try X3DH.dh(newKey, header.ratchetKey),
            withHeaderKey: headerEncryption
        )
        rootKey = sending.root
        sendingChainKey = sending.chain
        nextSendingHeaderKey = sending.nextHeader
    }
}
