import MeshCore

extension KademliaMessage: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(kind.rawValue)
        switch self {
        case .ping: break
        case .pong(let observed): observed.encode(to: &writer)
        case .findNode(let id), .findValue(let id), .getProviders(let id): writer.write(raw: id.bytes)
        case .nodes(let contacts, let token):
            Self.write(contacts, token, to: &writer)
        case .value(let record, let contacts, let token):
            writer.write(record != nil)
            record?.encode(to: &writer)
            Self.write(contacts, token, to: &writer)
        case .store(let token, let record), .addProvider(let token, let record):
            writer.writeLengthPrefixed(token, .uint8)
            record.encode(to: &writer)
        case .providers(let records, let contacts, let token):
            writer.writeCount(records.count, .uint8)
            for record in records { record.encode(to: &writer) }
            Self.write(contacts, token, to: &writer)
        case .stored(let accepted, let code):
            writer.write(accepted)
            writer.writeString(code, .uint8)
        }
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let raw = try reader.readUInt8()
        guard let kind = Kind(rawValue: raw) else { throw WireError(.unknownType, at: start, "message kind \(raw)") }
        switch kind {
        case .ping: self = .ping
        case .pong: self = .pong(observed: try TransportAddress(from: &reader))
        case .findNode: self = .findNode(target: try Self.readID(&reader))
        case .findValue: self = .findValue(key: try Self.readID(&reader))
        case .getProviders: self = .getProviders(key: try Self.readID(&reader))
        case .nodes:
            let (contacts, token) = try Self.readContacts(&reader)
            self = .nodes(contacts: contacts, token: token)
        case .value:
            let record = try reader.readBool() ? try RecordEnvelope(from: &reader) : nil
            let (contacts, token) = try Self.readContacts(&reader)
            self = .value(record: record, contacts: contacts, token: token)
        case .store, .addProvider:
            let token = try reader.readLengthPrefixed(.uint8, maximum: WriteTokens.byteCount)
            let record = try RecordEnvelope(from: &reader)
            self = kind == .store ? .store(token: token, record: record) : .addProvider(token: token, record: record)
        case .providers:
            let count = try reader.readCount(.uint8, maximum: Self.maximumProviders)
            let records = try (0..<count).map { _ in try RecordEnvelope(from: &reader) }
            let (contacts, token) = try Self.readContacts(&reader)
            self = .providers(records: records, contacts: contacts, token: token)
        case .stored:
            self = .stored(accepted: try reader.readBool(), code: try reader.readString(.uint8, maximum: 32))
        }
    }

    static func readID(_ reader: inout WireReader) throws -> NodeID {
        try NodeID(bytes: try reader.readBytes(NodeID.byteCount))
    }

    static func write(_ contacts: [Contact], _ token: [UInt8], to writer: inout WireWriter) {
        writer.writeCount(contacts.count, .uint8)
        for contact in contacts { contact.encode(to: &writer) }
        writer.writeLengthPrefixed(token, .uint8)
    }

    static func readContacts(_ reader: inout WireReader) throws -> ([Contact], [UInt8]) {
        let count = try reader.readCount(.uint8, maximum: Self.maximumContacts)
        let contacts = try (0..<count).map { _ in try Contact(from: &reader) }
        let token = try reader.readLengthPrefixed(.uint8, maximum: WriteTokens.byteCount)
        return (contacts, token)
    }
}
