import MeshCore

/// What a knock says, encrypted to the recipient inside the X3DH initial message (`SessionPayload.knock`).
public struct KnockBody: Hashable, Sendable {
    public static let maximumPurposeByteCount = 1_000
    public static let maximumRelays = 4
    public static let maximumRelayByteCount = 128
    public static let maximumNameByteCount = 64

    /// Why the sender knocks, for the recipient's owner or policy (UTF-8, ≤ 1,000 bytes).
    public let purpose: String
    /// The DID of a contact of the recipient who introduced the sender, if any.
    public let introducedBy: String?
    /// Where to answer: the sender's home relays (≤ 4, each ≤ 128 bytes).
    public let senderRelays: [String]
    /// A display name (≤ 64 bytes).
    public let senderName: String?
    /// The sender's owner certificate and revocations, for a recipient whose policy asks (decision 0093).
    public let ownerCredentials: OwnerCredentials?

    /// Checks every bound (and that `introducedBy` is a did:key); throws `WireError(.oversize/.invalidValue)`.
    public init(
        purpose: String,
        introducedBy: String? = nil,
        senderRelays: [String] = [],
        senderName: String? = nil,
        ownerCredentials: OwnerCredentials? = nil
    )
        throws
    {
        guard purpose.utf8.count <= KnockBody.maximumPurposeByteCount else {
            throw WireError(.oversize, at: 0, "a purpose is at most \(KnockBody.maximumPurposeByteCount) bytes")
        }
        if let introducedBy {
            guard (try? DIDKey.decode(introducedBy)) != nil else {
                throw WireError(.invalidValue, at: 0, "introducedBy is not a did:key")
            }
        }
        guard senderRelays.count <= KnockBody.maximumRelays,
            senderRelays.allSatisfy({ $0.utf8.count <= KnockBody.maximumRelayByteCount })
        else {
            throw WireError(.oversize, at: 0, "at most \(KnockBody.maximumRelays) relays of 128 bytes each")
        }
        guard (senderName?.utf8.count ?? 0) <= KnockBody.maximumNameByteCount else {
            throw WireError(.oversize, at: 0, "a sender name is at most \(KnockBody.maximumNameByteCount) bytes")
        }
        self.purpose = purpose
        self.introducedBy = introducedBy
        self.senderRelays = senderRelays
        self.senderName = senderName
        self.ownerCredentials = ownerCredentials
    }

    /// `purpose (u16 len) ‖ has-introducedBy (u8) [u8 len ‖ DID] ‖ relays (u8 count, each u8 len) ‖ has-name [u8 len]
    /// ‖ [has-credentials (u8) ‖ OwnerCredentials]`; the last field is written only when present, so bodies from
    /// before decision 0093 still decode.
    func encode(to writer: inout WireWriter) {
        writer.writeString(purpose, .uint16)
        writer.write(introducedBy != nil)
        if let introducedBy { writer.writeString(introducedBy, .uint8) }
        writer.writeStrings(senderRelays)
        writer.write(senderName != nil)
        if let senderName { writer.writeString(senderName, .uint8) }
        if let ownerCredentials {
            writer.write(true)
            ownerCredentials.encode(to: &writer)
        }
    }

    init(from reader: inout WireReader) throws {
        let purpose = try reader.readString(.uint16, maximum: KnockBody.maximumPurposeByteCount)
        let introducedBy = try reader.readOptional { try $0.readString(.uint8, maximum: DIDKey.maximumLength) }
        let relays = try reader.readStrings(maximumCount: KnockBody.maximumRelays)
        let name = try reader.readOptional { try $0.readString(.uint8, maximum: KnockBody.maximumNameByteCount) }
        // Absent credentials are absent bytes (never a 0 flag), so each body has one encoding.
        var credentials: OwnerCredentials?
        if !reader.isAtEnd {
            let flag = reader.position
            guard try reader.readUInt8() == 1 else {
                throw WireError(.trailingBytes, at: flag, "owner credentials are written only when present")
            }
            credentials = try OwnerCredentials(from: &reader)
        }
        let start = reader.position
        do {
            try self.init(
                purpose: purpose,
                introducedBy: introducedBy,
                senderRelays: relays,
                senderName: name,
                ownerCredentials: credentials
            )
        } catch let error as WireError {
            throw WireError(error.code, at: start, error.reason)
        }
    }
}

extension WireWriter {
    /// A `u8` count of `u8`-length strings (relay addresses).
    mutating func writeStrings(_ strings: [String]) {
        writeCount(strings.count, .uint8)
        for string in strings { writeString(string, .uint8) }
    }
}

extension WireReader {
    mutating func readStrings(
        maximumCount: Int,
        maximumByteCount: Int = KnockBody.maximumRelayByteCount
    ) throws
        -> [String]
    {
        let count = try readCount(.uint8, maximum: maximumCount)
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count { strings.append(try readString(.uint8, maximum: maximumByteCount)) }
        return strings
    }
}
