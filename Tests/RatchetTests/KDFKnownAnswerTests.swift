import MeshCore
import Testing

@testable import Ratchet

/// Fixed inputs give fixed bytes. The expected values were computed with Python's `hmac`/`hashlib` (an
/// implementation independent of libsodium), from the formulas in docs/ratchet.md.
@Suite struct KDFKnownAnswerTests {
    let rootKey = RatchetKey(consuming: (0..<32).map { UInt8($0) })
    let dhOutput = SecureBytes((32..<64).map { UInt8($0) })
    let chainKey = RatchetKey(consuming: (64..<96).map { UInt8($0) })
    let messageKey = RatchetKey(consuming: (96..<128).map { UInt8($0) })

    @Test func rootKDFWithAndWithoutHeaderKey() {
        let expected =
            "2ee0b90abe380dbd750a271248f14012a150d7609218aee8617b6ad028c86b4c"
            + "9302584a5ef8b932668ae7818810c5b34224a40dc6f98072d01d7dfb91cc33c0"
            + "2716335d0e5e50270a5ca7a587bcb875c7d067a0312f9535cd2c5cc82f9691cd"
        let withHeader = RatchetKDF.root(rootKey, dhOutput, withHeaderKey: true)
        let hex = Hex.encode(
            withHeader.root.copyBytes() + withHeader.chain.copyBytes() + withHeader.nextHeader!.copyBytes()
        )
        #expect(hex == expected)
        let plain = RatchetKDF.root(rootKey, dhOutput, withHeaderKey: false)
        #expect(Hex.encode(plain.root.copyBytes() + plain.chain.copyBytes()) == String(expected.prefix(128)))
        #expect(plain.nextHeader == nil)
    }

    @Test func chainKDF() {
        let step = RatchetKDF.chain(chainKey)
        #expect(
            Hex.encode(step.chain.copyBytes()) == "f0bdefbbad3cf097dccb03f2c87159f7608e2480543eef7741c8f2e7f226e78f"
        )
        #expect(
            Hex.encode(step.message.copyBytes()) == "01156abd78ef59f755f1e6945e5d1e2d7ddd1f1e5fe0a164b2f5fa8ad500bfba"
        )
    }

    @Test func messageKeyExpansion() {
        let cipher = RatchetKDF.messageCipher(messageKey)
        #expect(
            Hex.encode(cipher.key.copyBytes()) + Hex.encode(cipher.nonce)
                == "0d1430b0c7597ef3ab9c584898b14b1a80693134a9a2910806b864bed3503fe0"
                + "c2c723d110c0a40ed7c63a7959da66503ba75c8ea222d0e6"
        )
    }

    @Test func initialHeaderKeys() {
        let keys = RatchetKDF.initialHeaderKeys(rootKey)
        #expect(
            Hex.encode(keys.initiator.copyBytes() + keys.responder.copyBytes())
                == "a6dda1331f032c3bd928fdc943bdd2cfd192b661c5902972bb62000540d00487"
                + "841a018071b0d43db3e0200eceb70d47e2f7a3f1ec03a5c323587c3883199993"
        )
    }

    @Test func x3dhSecretHasPrefixAndInfo() {
        let secret = RatchetKDF.x3dhSecret([
            dhOutput, SecureBytes(chainKey.copyBytes()), SecureBytes(messageKey.copyBytes()),
        ])
        #expect(Hex.encode(secret.copyBytes()) == "8c786388c9fb88a2ba687856ebc894797029ea121f76edd3e68e4475ecf16d4e")
    }
}
