/// Intent names: what a message (or a knock) is for. Built-in names are fixed; anything else is a custom intent in
/// a vendor namespace, `x-<vendor>.<name>`.
public enum Intent {
    public static let chatMessage = "chat.message"
    public static let taskRequest = "task.request"
    public static let taskResponse = "task.response"
    public static let taskCancel = "task.cancel"
    public static let capabilityQuery = "capability.query"
    /// Receipts are sent by the node itself (`SessionPayload.receipt`), never by an agent.
    public static let receipt = "receipt"

    public static let builtIn: [String] = [
        chatMessage, taskRequest, taskResponse, taskCancel, capabilityQuery, receipt,
    ]
    public static let maximumNameByteCount = 64

    public static func isBuiltIn(_ name: String) -> Bool { builtIn.contains(name) }

    /// A built-in name, or `x-<vendor>.<name>`: lowercase ASCII letters, digits, `-` and `.`, at most 64 bytes,
    /// no empty segment.
    public static func validateName(_ name: String) throws(IntentError) {
        if isBuiltIn(name) { return }
        let utf8 = Array(name.utf8)
        guard !utf8.isEmpty else { throw IntentError(intent: name, "an intent name is empty") }
        guard utf8.count <= maximumNameByteCount else {
            throw IntentError(intent: name, "an intent name is at most \(maximumNameByteCount) bytes")
        }
        guard utf8.allSatisfy(isNameByte) else {
            throw IntentError(intent: name, "an intent name uses only a-z, 0-9, `-` and `.`")
        }
        guard name.hasPrefix("x-") else {
            throw IntentError(
                intent: name,
                "unknown intent; custom intents are namespaced `x-<vendor>.<name>`"
            )
        }
        let segments = name.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count >= 2, segments[0].count > 2, segments.allSatisfy({ !$0.isEmpty }) else {
            throw IntentError(intent: name, "a custom intent is `x-<vendor>.<name>` with no empty part")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }
}

/// Why an intent name or a message body was refused, in words an agent's developer can act on
/// (e.g. "chat.message: `text` is required").
public struct IntentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let intent: String
    public let reason: String

    public init(intent: String, _ reason: String) {
        self.intent = intent
        self.reason = reason
    }

    /// `<intent>: <reason>`.
    public var message: String { "\(intent): \(reason)" }
    public var description: String { message }
}
