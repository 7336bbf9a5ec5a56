import MeshCore
import Ratchet
import RelayFallback

/// The payload of one relay envelope between two agents: a first-contact knock, or a message of an established
/// session.
///
/// Wire form (version 1), the whole envelope at most `maximumByteCount` bytes:
/// ```
/// version (u8 = 1) ‖ kind (u8: 1 knock, 2 session) ‖ body
/// knock:   KnockFrame (see KnockFrame.swift)
/// session: sender (32) ‖ message ID (16) ‖ RatchetEnvelope (to the end)
/// ```
/// Decoding is strict: an unknown version or kind, a bad key, trailing bytes or oversize input throw `WireError`.
public enum MeshEnvelope: Hashable, Sendable, WireEncodable, WireDecodable {
    case knock(KnockFrame)
    case session(SessionFrame)

    public static let currentVersion: UInt8 = 1
    /// A mesh envelope fills at most one relay envelope.
    public static let maximumByteCount = RelayFallbackModule.maximumEnvelopeByteCount
    /// Version and kind bytes.
    public static let headerByteCount = 2

    public enum Kind: UInt8, Hashable, Sendable {
        case knock = 1
        case session = 2
    }

    public var kind: Kind {
        switch self {
        case .knock: .knock
        case .session: .session
        }
    }

    /// The kind from the first two bytes, without decoding the rest: how a receiver routes a knock to `KnockGate`
    /// and a session frame to its session. Nil for an unknown version or kind (decoding would refuse it).
    public static func kind(of bytes: [UInt8]) -> Kind? {
        guard bytes.count >= headerByteCount, bytes[0] == currentVersion else { return nil }
        return Kind(rawValue: bytes[1])
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(MeshEnvelope.currentVersion)
        writer.write(kind.rawValue)
        switch self {
        case .knock(let frame): frame.encode(to: &writer)
        case .session(let frame): frame.encode(to: &writer)
        }
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let version = try reader.readUInt8()
        guard version == MeshEnvelope.currentVersion else {
            throw WireError(.unsupportedVersion, at: start, "mesh envelope version \(version) is not supported")
        }
        let kindOffset = reader.position
        let raw = try reader.readUInt8()
        guard let kind = Kind(rawValue: raw) else {
            throw WireError(.unknownType, at: kindOffset, "mesh envelope kind \(raw) is unknown")
        }
        switch kind {
        case .knock: self = .knock(try KnockFrame(from: &reader))
        case .session: self = .session(try SessionFrame(from: &reader))
        }
    }

    public func encoded() -> [UInt8] {
        let bytes = wireBytes
        precondition(bytes.count <= MeshEnvelope.maximumByteCount, "mesh envelope too large for a relay envelope")
        return bytes
    }

    /// Strict decoding of one whole envelope. Throws `WireError`; never traps.
    public static func decode(_ bytes: [UInt8]) throws -> MeshEnvelope {
        guard bytes.count <= maximumByteCount else {
            throw WireError(.oversize, at: 0, "\(bytes.count) bytes exceed the envelope limit of \(maximumByteCount)")
        }
        return try MeshEnvelope(wireBytes: bytes)
    }
}

/// A message of an established (or starting) session. The sender's key travels in clear so the recipient finds the
/// session without trusting the relay's word for who sent it; the ratchet authenticates it (a wrong key cannot
/// decrypt).
///
/// The end-to-end message ID travels in clear too, independent of the relay envelope that carries the frame: a
/// resend goes out under a new envelope ID (a relay that lost, corrupted or misdelivered the first copy would
/// otherwise answer `duplicate` and drop it), and the recipient still recognises it as the message it already
/// has, without spending a ratchet step, and sends its receipt again. The clear ID is only a hint: after
/// decryption the message's own (authenticated) ID must match it, so a relay that rewrites it can only make a
/// frame fail, which is no more than dropping it.
public struct SessionFrame: Hashable, Sendable {
    public let sender: Ed25519.PublicKey
    public let messageID: MessageID
    public let ratchet: RatchetEnvelope

    /// The sender's key and the message ID ahead of the ratchet envelope.
    public static let overheadByteCount = Ed25519.publicKeyByteCount + MessageID.byteCount

    public init(sender: Ed25519.PublicKey, messageID: MessageID, ratchet: RatchetEnvelope) {
        self.sender = sender
        self.messageID = messageID
        self.ratchet = ratchet
    }

    func encode(to writer: inout WireWriter) {
        writer.write(raw: sender.rawRepresentation)
        writer.write(raw: messageID.bytes)
        ratchet.encode(to: &writer)
    }

    init(from reader: inout WireReader) throws {
        sender = try reader.readPublicKey()
        messageID = try MessageID(from: &reader)
        let start = reader.position
        ratchet = try RatchetEnvelope(from: &reader)
        if let initial = ratchet.initialHeader, initial.identityKey != sender {
            throw WireError(.invalidValue, at: start, "the X3DH header names another sender")
        }
    }
}
