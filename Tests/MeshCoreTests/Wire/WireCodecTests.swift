import MeshCore
import Testing

@Suite struct WireCodecTests {
    @Test func roundTripsEveryFieldKind() throws {
        var writer = WireWriter()
        writer.write(UInt8(7))
        writer.write(UInt16(0xBEEF))
        writer.write(UInt32(0xDEAD_BEEF))
        writer.write(UInt64.max - 1)
        writer.write(Int64(-5))
        writer.write(true)
        writer.writeLengthPrefixed([1, 2, 3], .uint8)
        writer.writeString("héllo", .uint16)
        writer.writeCount(4, .uint32)
        var reader = WireReader(writer.bytes)
        #expect(try reader.readUInt8() == 7)
        #expect(try reader.readUInt16() == 0xBEEF)
        #expect(try reader.readUInt32() == 0xDEAD_BEEF)
        #expect(try reader.readUInt64() == UInt64.max - 1)
        #expect(try reader.readInt64() == -5)
        #expect(try reader.readBool())
        #expect(try reader.readLengthPrefixed(.uint8, maximum: 3) == [1, 2, 3])
        #expect(try reader.readString(.uint16, maximum: 100) == "héllo")
        #expect(try reader.readCount(.uint32, maximum: 4) == 4)
        try reader.expectEnd()
    }

    @Test func bigEndianOnTheWire() {
        var writer = WireWriter()
        writer.write(UInt32(0x0102_0304))
        #expect(writer.bytes == [1, 2, 3, 4])
    }

    @Test func truncationOversizeAndTrailingBytesAreTypedErrors() throws {
        var short = WireReader([0x00])
        #expect(throws: WireError(.truncated, at: 0, "needed UInt16, only 1 bytes left")) { try short.readUInt16() }

        var oversize = WireReader([0x05, 1, 2, 3, 4, 5])
        #expect { try oversize.readLengthPrefixed(.uint8, maximum: 4) } throws: {
            ($0 as? WireError)?.code == .oversize
        }

        var lying = WireReader([0xFF, 0xFF, 0xFF, 0xFF, 1])
        #expect { try lying.readLengthPrefixed(.uint32, maximum: Int.max) } throws: {
            ($0 as? WireError)?.code == .truncated
        }

        var badBool = WireReader([2])
        #expect { try badBool.readBool() } throws: { ($0 as? WireError)?.code == .invalidValue }

        var badUTF8 = WireReader([2, 0xC3, 0x28])
        #expect { try badUTF8.readString(.uint8, maximum: 10) } throws: { ($0 as? WireError)?.code == .invalidValue }

        let trailing = WireReader([1])
        #expect { try trailing.expectEnd() } throws: { ($0 as? WireError)?.code == .trailingBytes }
    }

    @Test func frameRoundTrip() throws {
        let frame = Frame(type: 0x0102, payload: Array("payload".utf8))
        let bytes = frame.encoded()
        #expect(Array(bytes.prefix(9)) == [0x4D, 0x50, 1, 0x01, 0x02, 0, 0, 0, 7])
        #expect(try Frame.decode(bytes, maximumPayload: 100) == frame)
    }

    @Test func frameRejections() {
        let good = Frame(type: 1, payload: [1, 2, 3]).encoded()
        func code(_ bytes: [UInt8], limit: Int = 100) -> WireError.Code? {
            do {
                _ = try Frame.decode(bytes, maximumPayload: limit)
                return nil
            } catch {
                return (error as? WireError)?.code
            }
        }
        #expect(code(Array(good.dropLast())) == .truncated)
        #expect(code(good + [0]) == .trailingBytes)
        #expect(code(good, limit: 2) == .oversize)
        var future = good
        future[2] = 9
        #expect(code(future) == .unsupportedVersion)
        var stun = good
        stun[0] = 0x00
        #expect(code(stun) == .badMagic)
        // A header that claims 4 GiB is refused from the header alone, before any allocation.
        #expect(code([0x4D, 0x50, 1, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF], limit: Int.max) == .oversize)
        #expect(code([]) == .truncated)
    }

    /// A cheap in-process fuzz pass (the libFuzzer harness goes much deeper): random bytes never trap, and whatever
    /// decodes obeys the limit and re-encodes to exactly the input.
    @Test func randomInputNeverTraps() {
        var random = SeededRandom(seed: 99)
        for _ in 0..<20_000 {
            var bytes = random.bytes(count: Int.random(in: 0...40, using: &random))
            if bytes.count >= 9, Bool.random(using: &random) {
                // Plant a valid header half the time so the payload paths are exercised too.
                let length = Int.random(in: 0...(bytes.count - 9 + 2), using: &random)
                bytes.replaceSubrange(0..<9, with: [0x4D, 0x50, 1, 0, 1, 0, 0, 0, UInt8(length)])
            }
            if let frame = try? Frame.decode(bytes, maximumPayload: 32) {
                #expect(frame.payload.count <= 32)
                #expect(frame.encoded() == bytes)
            }
            if let file = try? KeyFile(decoding: bytes) {
                #expect(file.encoded() == bytes)
            }
            if let key = try? DIDKey.decode(String(decoding: bytes, as: UTF8.self)) {
                #expect(key.did == String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}
