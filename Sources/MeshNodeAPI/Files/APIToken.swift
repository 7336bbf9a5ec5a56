import MeshCore

/// The local API's bearer token: 32 random bytes written as 64 lowercase hex characters, kept in
/// `<data directory>/api-token` with mode 0600. Whoever can read that file can act as the agent.
public struct APIToken: Sendable, CustomStringConvertible {
    public static let fileName = "api-token"
    private static let byteCount = 32

    /// The 64 hex characters, as the `Authorization: Bearer` header carries them.
    public let value: String

    /// Accepts exactly 64 hex characters (either case; kept as given).
    public init(_ value: String) throws(LocalAPIError) {
        guard value.utf8.count == Self.byteCount * 2, value.utf8.allSatisfy(\.isHexDigit) else {
            throw LocalAPIError("an API token is 64 hex characters")
        }
        self.value = value
    }

    /// A fresh token from the system's CSPRNG.
    public static func generate() -> APIToken {
        var random = SystemRandom()
        var bytes = random.bytes(count: byteCount)
        defer { secureZero(&bytes) }
        let hex = String(
            decoding: bytes.flatMap { byte in [hexDigit(byte >> 4), hexDigit(byte & 0x0F)] },
            as: UTF8.self
        )
        return APIToken(unchecked: hex)
    }

    private init(unchecked value: String) { self.value = value }

    /// Compares a presented token with this one in constant time (only the lengths, which are public, can leak).
    public func matches<S: StringProtocol>(_ presented: S) -> Bool {
        ConstantTime.equals(Array(presented.utf8), Array(value.utf8))
    }

    /// Never prints the secret.
    public var description: String { "APIToken(redacted)" }

    /// Reads `<directory>/api-token`, creating the directory (0700) and a fresh token file (0600, atomically)
    /// when there is none. Refuses a file other users can read, saying which `chmod` fixes it.
    public static func load(orCreateIn directory: String) throws(LocalAPIError) -> APIToken {
        let path = directory + "/" + fileName
        if SecureFile.exists(path) { return try load(from: directory) }
        let token = generate()
        do {
            try SecureFile.makeDirectory(directory)
            try SecureFile.createExclusive(at: path, contents: Array((token.value + "\n").utf8), mode: 0o600)
            return token
        } catch let error as KeystoreError where error.code == .alreadyExists {
            // Another process created it between our read and our create: use theirs.
            return try load(from: directory)
        } catch {
            throw LocalAPIError("cannot create the API token \(path): \(error)")
        }
    }

    /// Writes this token to `<directory>/api-token` (0600), replacing the old one atomically: after a rotation a
    /// client that reads the file gets the old token or the new one, never a torn line.
    public func save(in directory: String) throws(LocalAPIError) {
        let path = directory + "/" + Self.fileName
        do {
            try SecureFile.makeDirectory(directory)
            try SecureFile.replace(at: path, contents: Array((value + "\n").utf8), mode: 0o600)
        } catch {
            throw LocalAPIError("cannot write the API token \(path): \(error)")
        }
    }

    /// Reads an existing `<directory>/api-token`.
    public static func load(from directory: String) throws(LocalAPIError) -> APIToken {
        let path = directory + "/" + fileName
        let bytes: [UInt8]
        do {
            bytes = try SecureFile.readPrivate(at: path, maximumByteCount: 256)
        } catch {
            throw LocalAPIError("cannot read the API token: \(error)")
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace()
        do {
            return try APIToken(text)
        } catch {
            throw LocalAPIError(
                "\(path) does not hold an API token (64 hex characters); delete it and restart the node"
            )
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
