import MeshCore

extension PeerSessions {
    static let stateVersion: UInt8 = 1
    /// A stored session is at most this large: its fixed fields plus the skipped keys the limits allow.
    static func maximumSessionStateByteCount(_ limits: RatchetLimits) -> Int {
        4_096 + max(limits.maximumStoredSkippedKeys, 0) * 68
    }

    /// Every session with this peer, newest-active first, for the session store.
    public func encodedState() -> SecureBytes {
        encodingState { writer in
            writer.write(PeerSessions.stateVersion)
            writer.write(headerEncryption)
            writer.writeCount(sessions.count, .uint8)
            for session in sessions {
                var bytes = session.encodedState().copyBytes()
                writer.writeLengthPrefixed(bytes, .uint32)
                secureZero(&bytes)
            }
        }
    }

    /// Restores the sessions; throws `corruptState` if the bytes do not decode or belong to another peer.
    public init(
        decodingState bytes: SecureBytes,
        remoteIdentity: Ed25519.PublicKey,
        limits: RatchetLimits = .default
    )
        throws
    {
        self = try decodingState(bytes) { reader in
            guard try reader.readUInt8() == PeerSessions.stateVersion else {
                throw RatchetError(.corruptState, "unknown peer sessions version")
            }
            let headerEncryption = try reader.readBool()
            let count = try reader.readCount(.uint8, maximum: PeerSessions.maximumSessions)
            var sessions: [RatchetSession] = []
            for _ in 0..<count {
                var raw = try reader.readLengthPrefixed(
                    .uint32,
                    maximum: PeerSessions.maximumSessionStateByteCount(limits)
                )
                defer { secureZero(&raw) }
                var sessionReader = WireReader(raw)
                sessions.append(try RatchetSession(from: &sessionReader, expectedPeer: remoteIdentity, limits: limits))
                try sessionReader.expectEnd()
            }
            var peer = PeerSessions(remoteIdentity: remoteIdentity, headerEncryption: headerEncryption, limits: limits)
            peer.sessions = sessions
            return peer
        }
    }
}
