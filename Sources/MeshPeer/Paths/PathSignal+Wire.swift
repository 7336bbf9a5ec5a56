import MeshCore

/// Wire form (inside `SessionPayload` kind 5): `type (u8) ‖ attempt (u64) ‖ sentAt (i64 ms) ‖ body`.
/// Types: 1 offer `tieBreak u64 ‖ channelID u64 ‖ ciphers (u8 count ≤ 4 of u8-prefixed names) ‖ share (32) ‖ ice`,
/// 2 answer `channelID u64 ‖ cipher (u8-prefixed) ‖ share (32) ‖ ice`, 3 candidates `list ‖ end (bool)`, then,
/// only when the sender knows it, `natMapping (u8-prefixed, 1-32) ‖ natPublicIP (u8-prefixed, ≤ 64)`,
/// 4 decline and 5 close `reason (u8-prefixed, ≤ 128)`. `ice` = `ufrag ‖ pwd (u16-prefixed, ≤ 256 each) ‖ list ‖
/// end (bool) ‖ natMapping (u8-prefixed) ‖ natPublicIP (u8-prefixed)`, `list` = `u8 count ≤ 32` of u16-prefixed
/// candidate lines (≤ 256 bytes each). Strict: unknown types, bounds and wrong share sizes throw `WireError`.
extension PathSignal {
    enum Tag: UInt8 {
        case offer = 1
        case answer = 2
        case candidates = 3
        case decline = 4
        case close = 5
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .offer(let offer):
            header(.offer, offer.attempt, offer.sentAt, &writer)
            writer.write(offer.tieBreak)
            writer.write(offer.channelID)
            writer.writeCount(offer.ciphers.count, .uint8)
            for cipher in offer.ciphers { writer.writeString(cipher, .uint8) }
            writer.write(raw: offer.share)
            offer.ice.encode(to: &writer)
        case .answer(let answer):
            header(.answer, answer.attempt, answer.sentAt, &writer)
            writer.write(answer.channelID)
            writer.writeString(answer.cipher, .uint8)
            writer.write(raw: answer.share)
            answer.ice.encode(to: &writer)
        case .candidates(let attempt, let sentAt, let candidates, let end, let nat):
            header(.candidates, attempt, sentAt, &writer)
            PathICE.encodeList(candidates, to: &writer)
            writer.write(end)
            if !nat.isUnknown {
                writer.writeString(String(nat.mapping.prefix(32)), .uint8)
                writer.writeString(String(nat.publicIP.prefix(64)), .uint8)
            }
        case .decline(let attempt, let sentAt, let reason):
            header(.decline, attempt, sentAt, &writer)
            writer.writeString(PathSignal.clip(reason), .uint8)
        case .close(let attempt, let sentAt, let reason):
            header(.close, attempt, sentAt, &writer)
            writer.writeString(PathSignal.clip(reason), .uint8)
        }
    }

    private func header(_ tag: Tag, _ attempt: UInt64, _ sentAt: Timestamp, _ writer: inout WireWriter) {
        writer.write(tag.rawValue)
        writer.write(attempt)
        writer.writeMilliseconds(sentAt)
    }

    /// A reason cut to the wire bound on a character boundary (we only encode what we built, but reasons may quote
    /// errors of any length).
    static func clip(_ reason: String) -> String {
        var clipped = ""
        for character in reason {
            guard clipped.utf8.count + String(character).utf8.count <= maximumReasonBytes else { break }
            clipped.append(character)
        }
        return clipped
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let raw = try reader.readUInt8()
        guard let tag = Tag(rawValue: raw) else {
            throw WireError(.unknownType, at: start, "path signal type \(raw) is unknown")
        }
        let attempt = try reader.readUInt64()
        let sentAt = try reader.readMilliseconds()
        switch tag {
        case .offer:
            let tieBreak = try reader.readUInt64()
            let channelID = try reader.readUInt64()
            let count = try reader.readCount(.uint8, maximum: PathSignal.maximumCiphers)
            var ciphers: [String] = []
            for _ in 0..<count {
                ciphers.append(try reader.readString(.uint8, maximum: PathSignal.maximumCipherNameBytes))
            }
            let share = try reader.readBytes(PathSignal.shareByteCount)
            let ice = try PathICE(from: &reader)
            self = .offer(
                Offer(
                    attempt: attempt,
                    sentAt: sentAt,
                    tieBreak: tieBreak,
                    channelID: channelID,
                    ciphers: ciphers,
                    share: share,
                    ice: ice
                )
            )
        case .answer:
            let channelID = try reader.readUInt64()
            let cipher = try reader.readString(.uint8, maximum: PathSignal.maximumCipherNameBytes)
            let share = try reader.readBytes(PathSignal.shareByteCount)
            let ice = try PathICE(from: &reader)
            self = .answer(
                Answer(attempt: attempt, sentAt: sentAt, channelID: channelID, cipher: cipher, share: share, ice: ice)
            )
        case .candidates:
            let list = try PathICE.decodeList(from: &reader)
            let end = try reader.readBool()
            var nat = PathNAT.unknown
            // The hint is the signal's tail (the session payload ends with the signal, and checks its end).
            if !reader.isAtEnd {
                let at = reader.position
                nat = PathNAT(
                    mapping: try reader.readString(.uint8, maximum: 32),
                    publicIP: try reader.readString(.uint8, maximum: 64)
                )
                guard !nat.isUnknown else { throw WireError(.invalidValue, at: at, "an empty NAT hint is left out") }
            }
            self = .candidates(attempt: attempt, sentAt: sentAt, candidates: list, endOfCandidates: end, nat: nat)
        case .decline:
            let reason = try reader.readString(.uint8, maximum: PathSignal.maximumReasonBytes)
            self = .decline(attempt: attempt, sentAt: sentAt, reason: reason)
        case .close:
            let reason = try reader.readString(.uint8, maximum: PathSignal.maximumReasonBytes)
            self = .close(attempt: attempt, sentAt: sentAt, reason: reason)
        }
    }
}

extension PathICE {
    func encode(to writer: inout WireWriter) {
        writer.writeString(ufrag, .uint16)
        writer.writeString(pwd, .uint16)
        PathICE.encodeList(candidates, to: &writer)
        writer.write(endOfCandidates)
        writer.writeString(natMapping, .uint8)
        writer.writeString(natPublicIP, .uint8)
    }

    init(from reader: inout WireReader) throws {
        ufrag = try reader.readString(.uint16, maximum: PathICE.maximumCredentialBytes)
        pwd = try reader.readString(.uint16, maximum: PathICE.maximumCredentialBytes)
        candidates = try PathICE.decodeList(from: &reader)
        endOfCandidates = try reader.readBool()
        natMapping = try reader.readString(.uint8, maximum: 32)
        natPublicIP = try reader.readString(.uint8, maximum: 64)
    }

    /// Traps beyond the bounds: we only encode what `PathManager` built, and it never builds more.
    static func encodeList(_ list: [String], to writer: inout WireWriter) {
        precondition(list.count <= maximumCandidates, "at most \(maximumCandidates) candidates per signal")
        writer.writeCount(list.count, .uint8)
        for line in list {
            precondition(line.utf8.count <= maximumCandidateBytes, "a candidate line over \(maximumCandidateBytes)")
            writer.writeString(line, .uint16)
        }
    }

    static func decodeList(from reader: inout WireReader) throws -> [String] {
        let count = try reader.readCount(.uint8, maximum: maximumCandidates)
        var list: [String] = []
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try reader.readString(.uint16, maximum: maximumCandidateBytes)) }
        return list
    }
}
