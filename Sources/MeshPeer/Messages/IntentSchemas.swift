/// The body schemas of the built-in intents: the JSON Schema texts (`docs/schemas/<intent>.json`, embedded byte for
/// byte; a test compares them with the files) and a validator that checks the same rules, on send and on receive.
///
/// Custom `x-<vendor>.<name>` intents carry any JSON object. `receipt` is sent by nodes, never by an agent, so no
/// `AgentMessage` may carry it.
public enum IntentSchemas {
    public static let textMaximumLength = 16_384
    public static let taskMaximumLength = 256
    public static let errorMaximumLength = 4_096
    public static let cancelReasonMaximumLength = 1_000
    public static let skillMaximumLength = 128

    /// The schema text of a built-in intent (nil for custom intents).
    public static func schemaText(for intent: String) -> String? {
        switch intent {
        case Intent.chatMessage: chatMessageSchema
        case Intent.taskRequest: taskRequestSchema
        case Intent.taskResponse: taskResponseSchema
        case Intent.taskCancel: taskCancelSchema
        case Intent.capabilityQuery: capabilityQuerySchema
        case Intent.receipt: receiptSchema
        default: nil
        }
    }

    /// Checks `body` against `intent`'s schema; the error says which field broke which rule.
    public static func validate(intent: String, body: JSONValue) throws(IntentError) {
        try Intent.validateName(intent)
        guard let members = body.objectValue else {
            throw IntentError(intent: intent, "the body must be a JSON object")
        }
        let body = BodyCheck(intent: intent, members: members)
        switch intent {
        case Intent.chatMessage:
            try body.only(["text", "format"])
            try body.string("text", required: true, maximumLength: textMaximumLength)
            try body.oneOf("format", ["text", "markdown"], required: false)
        case Intent.taskRequest:
            try body.only(["task", "input", "deadline"])
            try body.string("task", required: true, minimumLength: 1, maximumLength: taskMaximumLength)
            try body.present("input")
            if try body.string("deadline", required: false) != nil, !isDateTime(members["deadline"]?.stringValue) {
                throw IntentError(intent: intent, "`deadline` must be an RFC 3339 date-time (2026-12-04T20:00:00Z)")
            }
        case Intent.taskResponse:
            try body.only(["status", "output", "error"])
            let status = try body.oneOf("status", ["ok", "error", "partial"], required: true)
            try body.string("error", required: status == "error", maximumLength: errorMaximumLength)
        case Intent.taskCancel:
            try body.only(["reason"])
            try body.string("reason", required: false, maximumLength: cancelReasonMaximumLength)
        case Intent.capabilityQuery:
            try body.only(["skill"])
            try body.string("skill", required: false, maximumLength: skillMaximumLength)
        case Intent.receipt:
            throw IntentError(intent: intent, "receipts are sent by the node, not by an agent")
        default:
            // Custom intents: any JSON object.
            return
        }
    }

    /// `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`, the schema's
    /// pattern, without a regex engine.
    static func isDateTime(_ text: String?) -> Bool {
        guard let text else { return false }
        var rest = Substring(text).utf8[...]
        func digits(_ count: Int) -> Bool {
            guard rest.count >= count, rest.prefix(count).allSatisfy({ (48...57).contains($0) }) else { return false }
            rest = rest.dropFirst(count)
            return true
        }
        func literal(_ ascii: Unicode.Scalar) -> Bool {
            guard rest.first == UInt8(ascii: ascii) else { return false }
            rest = rest.dropFirst()
            return true
        }
        guard digits(4), literal("-"), digits(2), literal("-"), digits(2), literal("T"), digits(2), literal(":"),
            digits(2), literal(":"), digits(2)
        else { return false }
        if literal(".") {
            guard digits(1) else { return false }
            while let next = rest.first, (48...57).contains(next) { rest = rest.dropFirst() }
        }
        if literal("Z") { return rest.isEmpty }
        guard literal("+") || literal("-") else { return false }
        return digits(2) && literal(":") && digits(2) && rest.isEmpty
    }
}

/// One body's members and the checks the schemas use, with messages that name the field.
private struct BodyCheck {
    let intent: String
    let members: [String: JSONValue]

    /// `additionalProperties: false`.
    func only(_ allowed: Set<String>) throws(IntentError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw IntentError(intent: intent, "unknown field `\(unknown)`")
        }
    }

    func present(_ key: String) throws(IntentError) {
        guard members[key] != nil else { throw IntentError(intent: intent, "`\(key)` is required") }
    }

    /// Lengths count Unicode code points, as JSON Schema's `minLength`/`maxLength` do.
    @discardableResult
    func string(
        _ key: String,
        required: Bool,
        minimumLength: Int = 0,
        maximumLength: Int = .max
    )
        throws(IntentError) -> String?
    {
        guard let value = members[key] else {
            if required { throw IntentError(intent: intent, "`\(key)` is required") }
            return nil
        }
        guard let text = value.stringValue else { throw IntentError(intent: intent, "`\(key)` must be a string") }
        let length = text.unicodeScalars.count
        guard length >= minimumLength else {
            throw IntentError(intent: intent, "`\(key)` must not be empty")
        }
        guard length <= maximumLength else {
            throw IntentError(intent: intent, "`\(key)` is longer than \(maximumLength) characters")
        }
        return text
    }

    @discardableResult
    func oneOf(_ key: String, _ values: [String], required: Bool) throws(IntentError) -> String? {
        guard let value = members[key] else {
            if required { throw IntentError(intent: intent, "`\(key)` is required") }
            return nil
        }
        guard let text = value.stringValue, values.contains(text) else {
            throw IntentError(intent: intent, "`\(key)` must be one of: \(values.joined(separator: ", "))")
        }
        return text
    }
}
