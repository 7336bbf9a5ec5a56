/// Reads one JSON object of an A2A card strictly: unknown members are refused, required strings must be
/// non-empty and required lists non-empty (as the A2A SDK's required-field check does), and every error names
/// its path.
struct CardFields {
    let path: String
    let members: [String: JSONValue]

    init(_ value: JSONValue, path: String, allowed: Set<String>) throws(ProfileError) {
        guard case .object(let members) = value else {
            throw ProfileError(.wrongType, field: path, "expected an object")
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ProfileError(.unknownField, field: child(unknown, of: path), "not a field of this A2A object")
        }
        self.path = path
        self.members = members
    }

    func field(_ key: String) -> String { child(key, of: path) }

    /// A member, treating JSON `null` as absent (as protobuf's JSON parser does).
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func requiredString(_ key: String) throws(ProfileError) -> String {
        guard let text = try string(key), !text.isEmpty else {
            throw ProfileError(.missingField, field: field(key), "required, and must not be empty")
        }
        return text
    }

    func string(_ key: String) throws(ProfileError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            throw ProfileError(.wrongType, field: field(key), "expected a string")
        }
        return text
    }

    func bool(_ key: String) throws(ProfileError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw ProfileError(.wrongType, field: field(key), "expected true or false")
        }
        return flag
    }

    /// A list of strings; `required` lists must hold at least one non-empty string.
    func strings(_ key: String, required: Bool) throws(ProfileError) -> [String]? {
        guard let items = try list(key, required: required) else { return nil }
        var texts: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw ProfileError(.wrongType, field: "\(field(key))[\(index)]", "expected a string")
            }
            texts.append(text)
        }
        return texts
    }

    func list(_ key: String, required: Bool) throws(ProfileError) -> [JSONValue]? {
        guard let value = value(key) else {
            if required { throw ProfileError(.missingField, field: field(key), "required, with at least one entry") }
            return nil
        }
        guard case .array(let items) = value else {
            throw ProfileError(.wrongType, field: field(key), "expected a list")
        }
        if required, items.isEmpty {
            throw ProfileError(.missingField, field: field(key), "required, with at least one entry")
        }
        return items
    }

    func object(_ key: String) throws(ProfileError) -> [String: JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else {
            throw ProfileError(.wrongType, field: field(key), "expected an object")
        }
        return members
    }
}

private func child(_ key: String, of path: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
