import MeshCore

/// The secret of exactly one direct channel, made from the two fresh 32-byte shares that the offer and the answer
/// carried inside the end-to-end session.
///
/// A channel's packet numbers are its nonces and start at zero, so two channels under one key would repeat
/// nonces. This type cannot be copied, and building the channel consumes it: a second channel from the same secret
/// does not compile. The shares themselves are drawn afresh for every attempt (`PathManager`), so a new attempt
/// never meets an old secret either.
public struct ChannelSecret: ~Copyable, Sendable {
    private let material: SecureBytes

    public static let shareByteCount = 32

    /// Throws `CryptoError(.invalidLength)` unless both shares are 32 bytes; equal shares are refused too (one side
    /// echoing the other's share would leave the secret to one party).
    public init(offerShare: [UInt8], answerShare: [UInt8]) throws {
        guard offerShare.count == ChannelSecret.shareByteCount, answerShare.count == ChannelSecret.shareByteCount
        else {
            throw CryptoError(.invalidKeyLength, "a channel share must be \(ChannelSecret.shareByteCount) bytes")
        }
        guard !SecureBytes(offerShare).constantTimeEquals(SecureBytes(answerShare)) else {
            throw CryptoError(.invalidKeyLength, "the two channel shares are equal")
        }
        material = SecureBytes(offerShare + answerShare)
    }

    /// Derives the keys (bound to both identities, the cipher and `context`: the attempt, the channel IDs and the
    /// ICE usernames) and builds the channel, consuming the secret.
    public consuming func openChannel(
        configuration: ChannelConfiguration = ChannelConfiguration(),
        initiator: Ed25519.PublicKey,
        responder: Ed25519.PublicKey,
        context: [UInt8],
        cipher: ChannelCipher,
        isInitiator: Bool,
        localChannelID: UInt64,
        remoteChannelID: UInt64,
        now: Timestamp
    ) throws -> DirectChannel {
        let keys = try ChannelKeys(
            sessionSecret: material,
            initiator: initiator,
            responder: responder,
            context: context,
            cipher: cipher
        )
        return DirectChannel(
            configuration: configuration,
            keys: keys,
            isInitiator: isInitiator,
            localChannelID: localChannelID,
            remoteChannelID: remoteChannelID,
            now: now
        )
    }
}
