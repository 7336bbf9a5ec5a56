import MeshCore

extension PrekeySecrets {
    static let stateVersion: UInt8 = 1

    /// The private prekeys for the store (encrypted at rest there). The schedule is configuration, not state.
    public func encodedState() -> SecureBytes {
        encodingState { writer in
            writer.write(PrekeySecrets.stateVersion)
            writer.write(previousSignedPrekey != nil)
            for key in [signedPrekey] + (previousSignedPrekey.map { [$0] } ?? []) {
                writer.writeSecret(key.privateKey.rawRepresentation)
                writer.write(raw: key.signature.rawRepresentation)
                writer.write(key.createdAt.nanosecondsSinceEpoch)
            }
            writer.writeCount(oneTimePrekeys.count, .uint8)
            for key in oneTimePrekeys { writer.writeSecret(key.rawRepresentation) }
        }
    }

    public init(decodingState bytes: SecureBytes, schedule: PrekeySchedule = PrekeySchedule()) throws {
        self = try decodingState(bytes) { reader in
            guard try reader.readUInt8() == PrekeySecrets.stateVersion else {
                throw RatchetError(.corruptState, "unknown prekey state version")
            }
            let hasPrevious = try reader.readBool()
            func readSigned() throws -> SignedPrekey {
                SignedPrekey(
                    privateKey: try reader.readPrivateKey(),
                    signature: try Ed25519.Signature(rawRepresentation: reader.readBytes(Ed25519.signatureByteCount)),
                    createdAt: Timestamp(nanosecondsSinceEpoch: try reader.readInt64())
                )
            }
            let current = try readSigned()
            let previous = hasPrevious ? try readSigned() : nil
            let count = try reader.readCount(.uint8, maximum: PrekeyBundle.maximumOneTimePrekeys)
            var oneTime: [X25519.PrivateKey] = []
            for _ in 0..<count { oneTime.append(try reader.readPrivateKey()) }
            return PrekeySecrets(
                signedPrekey: current,
                previousSignedPrekey: previous,
                oneTimePrekeys: oneTime,
                schedule: schedule
            )
        }
    }
}
