import MeshCore
import Testing

/// The did:key method's published Ed25519 → X25519 test vectors (w3c-ccg/did-method-key,
/// test-vectors/ed25519-x25519.json): seed → DID, Ed25519 key, and the X25519 key agreement key, which checks
/// our Edwards → Montgomery conversion against an independent implementation.
@Suite struct DIDKeyTests {
    struct Vector: Sendable {
        let seedLastByte: UInt8
        let did: String
        let ed25519Base58: String
        let x25519Base58: String
    }

    static let vectors = [
        Vector(
            seedLastByte: 0,
            did: "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            ed25519Base58: "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS",
            x25519Base58: "7By6kV2t2d188odEM4ExAve1UithKT6dLva4dwsDT3ak"
        ),
        Vector(
            seedLastByte: 1,
            did: "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
            ed25519Base58: "6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt",
            x25519Base58: "FcoNC5NqP9CePWbhfz95iHaEsCjGkZUioK9Ck7Qiw286"
        ),
        Vector(
            seedLastByte: 2,
            did: "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
            ed25519Base58: "8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH",
            x25519Base58: "A5fe37PAxhX5WNKngBpGHhC1KpNE7nwbK9oX2tqwxYxU"
        ),
        Vector(
            seedLastByte: 3,
            did: "did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ",
            ed25519Base58: "HPYVwAQmskwT1qEEeRzhoomyfyupJGASQQtCXSNG8XS2",
            x25519Base58: "7ocvdvQinfqtyQ3Dh9aA7ggoVCQkmfaoueZazHETDv3B"
        ),
        Vector(
            seedLastByte: 4,
            did: "did:key:z6MkwW6aqMnjgrhJXFUko3NnZPGzVpkNzhYK7yEhnsibmLwL",
            ed25519Base58: "J3qYF7YJMKCqQke47UQwiHizgFUXapHxRxKmxbkar89x",
            x25519Base58: "FbQtKTG6FjWSeYZyowWYv2KBcCbwmHqH6HUuxdJ4xkwP"
        ),
    ]

    @Test(arguments: vectors)
    func publishedVectors(_ vector: Vector) throws {
        let seed = [UInt8](repeating: 0, count: 31) + [vector.seedLastByte]
        let identity = try AgentIdentity(signingKey: Ed25519.PrivateKey(seed: SecureBytes(seed)))
        #expect(identity.did == vector.did)
        #expect(identity.publicKey.rawRepresentation == Base58.decode(vector.ed25519Base58))
        #expect(identity.agreementKey.publicKey.rawRepresentation == Base58.decode(vector.x25519Base58))
        let decoded = try DIDKey.decode(vector.did)
        #expect(decoded == identity.publicKey)
        #expect(try decoded.agreementKey().rawRepresentation == Base58.decode(vector.x25519Base58))
    }

    /// The did:key specification's own example DID.
    @Test func specificationExampleDecodes() throws {
        let key = try DIDKey.decode("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        #expect(key.did == "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    }

    @Test(
        arguments: [
            ("", DIDError.Code.notDIDKey),
            ("did:web:example.com", .notDIDKey),
            ("did:key:", .unsupportedMultibase),
            ("did:key:u6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", .unsupportedMultibase),
            ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0", .invalidEncoding),
            ("did:key:z" + Base58.encode([0xED, 0x01] + [UInt8](repeating: 7, count: 31)), .invalidKeyLength),
            ("did:key:z" + Base58.encode([0xED, 0x01] + [UInt8](repeating: 0, count: 32)), .invalidKey),
            ("did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169", .unsupportedKeyType),
            ("did:key:z1" + String(repeating: "1", count: 200), .tooLong),
            ("did:key:z16MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", .unsupportedKeyType),
        ]
    )
    func malformedDIDsAreTypedErrors(_ input: String, _ code: DIDError.Code) {
        #expect {
            try DIDKey.decode(input)
        } throws: { error in
            (error as? DIDError)?.code == code
        }
    }

    @Test func base58RoundTripsWithLeadingZeros() {
        var random = SeededRandom(seed: 6)
        for length in 0..<40 {
            let bytes = [0, 0] + random.bytes(count: length)
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
        }
        #expect(Base58.encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Base58.decode("0OIl") == nil)
    }

    @Test func nodeIDIsBoundToTheKeyAndDomainSeparated() throws {
        var random = SeededRandom(seed: 7)
        let a = AgentIdentity.generate(using: &random)
        let b = AgentIdentity.generate(using: &random)
        #expect(a.nodeID != b.nodeID)
        #expect(a.nodeID == NodeID(publicKey: a.publicKey))
        #expect(a.nodeID.bytes == SHA256.hash(Array("meshpeer/v1/node-id".utf8) + a.publicKey.rawRepresentation))
        #expect(NodeID.hashing(Array("translate".utf8), label: "capability") != a.nodeID)
        #expect(throws: CryptoError.self) { try NodeID(bytes: [1, 2]) }
    }
}
