/// A dashboard form body (`application/x-www-form-urlencoded`), decoded strictly: bounded in size and field count,
/// every name one the form has, none repeated, valid percent-encoding of UTF-8, and no control characters. Any
/// violation is an error that says which, and decoding never traps (Fuzz/Sources/FuzzDashboardForm).
public struct DashboardForm: Sendable, Hashable {
    /// The largest body a dashboard form may send; larger is refused with 413 before it is buffered.
    public static let maximumBytes = 4_096
    public static let maximumFields = 16
    public static let maximumValueBytes = 1_024

    public private(set) var fields: [String: String] = [:]

    public subscript(_ name: String) -> String? { fields[name] }

    /// Decodes `body`, accepting only the names in `allowed`.
    public init(_ body: [UInt8], allowed: Set<String>) throws(DashboardFormError) {
        guard body.count <= Self.maximumBytes else {
            throw DashboardFormError(tooLarge: true, "the form is larger than \(Self.maximumBytes) bytes")
        }
        guard !body.isEmpty else { return }
        let pairs = body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false)
        guard pairs.count <= Self.maximumFields else {
            throw DashboardFormError("the form has more than \(Self.maximumFields) fields")
        }
        for pair in pairs {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else {
                throw DashboardFormError("a form field has no '=' (the body must be name=value&…)")
            }
            let name = try Self.decode(pair[pair.startIndex..<equals], what: "a field name")
            let value = try Self.decode(pair[pair.index(after: equals)...], what: "the value of '\(name)'")
            guard allowed.contains(name) else {
                throw DashboardFormError(
                    "unknown form field '\(Self.quote(name))' (accepted: \(allowed.sorted().joined(separator: ", ")))"
                )
            }
            guard fields[name] == nil else { throw DashboardFormError("form field '\(name)' is given more than once") }
            guard value.utf8.count <= Self.maximumValueBytes else {
                throw DashboardFormError("form field '\(name)' is longer than \(Self.maximumValueBytes) bytes")
            }
            fields[name] = value
        }
    }

    /// The value of a field the form must have.
    public func required(_ name: String) throws(DashboardFormError) -> String {
        guard let value = fields[name], !value.isEmpty else {
            throw DashboardFormError("the form is missing field '\(name)'")
        }
        return value
    }

    /// Percent-decoding with `+` as a space; the result must be UTF-8 without control characters.
    static func decode(_ raw: ArraySlice<UInt8>, what: String) throws(DashboardFormError) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard raw.endIndex - index >= 3, let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2])
                else { throw DashboardFormError("\(what) has a '%' not followed by two hex digits") }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DashboardFormError("\(what) is not valid UTF-8")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw DashboardFormError("\(what) contains control characters")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func quote(_ text: String) -> String { text.count <= 40 ? text : String(text.prefix(40)) + "…" }
}

/// Why a dashboard form was refused; shown to the owner with status 400 (or 413 when `tooLarge`).
public struct DashboardFormError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var tooLarge: Bool

    public init(tooLarge: Bool = false, _ message: String) {
        self.message = message
        self.tooLarge = tooLarge
    }

    public var description: String { message }
}
