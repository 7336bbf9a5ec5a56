import MCP

/// JSON Schemas (draft 2020-12) of the tools' inputs and outputs. The output shapes are the local API's models
/// (docs/openapi.yaml); lists are wrapped in an object, as MCP's structured content must be one.
enum MCPSchemas {
    static func object(_ properties: [String: Value], required: [String] = [], closed: Bool = false) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        if closed { schema["additionalProperties"] = false }
        return .object(schema)
    }

    static func string(_ description: String, minLength: Int = 1, maxLength: Int? = nil) -> Value {
        var schema: [String: Value] = [
            "type": "string", "description": .string(description), "minLength": .int(minLength),
        ]
        if let maxLength { schema["maxLength"] = .int(maxLength) }
        return .object(schema)
    }

    static func integer(_ description: String, minimum: Int, maximum: Int? = nil) -> Value {
        var schema: [String: Value] = [
            "type": "integer", "description": .string(description), "minimum": .int(minimum),
        ]
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }

    static func array(_ items: Value) -> Value { ["type": "array", "items": items] }

    static let did: Value = [
        "type": "string", "pattern": "^did:\\S+$", "maxLength": 512,
        "description": "An agent's DID, did:key:z6Mk...",
    ]
    static let text: Value = ["type": "string"]
    static let count: Value = ["type": "integer", "minimum": 0]
    static let anyJSON: Value = ["description": "Any JSON value."]

    static let status = object(
        [
            "did": text, "node_id": text, "version": text, "uptime_seconds": count, "dht_contacts": count,
            "published": ["type": "boolean"],
            "relays": array(
                object(
                    [
                        "address": text, "state": ["type": "string", "enum": ["ready", "connecting", "down"]],
                        "home": ["type": "boolean"], "round_trip_ms": ["type": "number"], "last_error": text,
                    ],
                    required: ["address", "state", "home"]
                )
            ),
            "outbox_pending": count, "inbox_count": count, "knocks_pending": count, "contacts": count, "api_url": text,
        ],
        required: [
            "did", "node_id", "version", "uptime_seconds", "dht_contacts", "published", "relays", "outbox_pending",
            "inbox_count", "knocks_pending", "contacts",
        ]
    )

    static let agent = object(
        [
            "did": text, "card": ["type": "object", "description": "The agent's compact A2A card, verified."],
            "home_relays": array(text), "sequence": count, "expires_at": text,
            "relationship": ["type": "string", "enum": ["contact", "knocked", "none"]],
        ],
        required: ["did", "card", "home_relays", "sequence", "expires_at", "relationship"]
    )

    static let knock = object(
        [
            "id": text, "direction": ["type": "string", "enum": ["outgoing", "incoming"]], "peer": text,
            "intent": text, "purpose": text,
            "state": ["type": "string", "enum": ["pending", "held", "accepted", "rejected"]],
            "reason": text, "introduced_by": text, "created_at": text, "decided_at": text,
        ],
        required: ["id", "direction", "peer", "intent", "purpose", "state", "created_at"]
    )

    static let sent = object(
        [
            "id": text, "to": text, "intent": text,
            "state": ["type": "string", "enum": ["queued", "relayed", "delivered", "expired", "failed"]],
            "created_at": text, "expires_at": text, "delivered_at": text, "attempts": count, "last_error": text,
        ],
        required: ["id", "to", "intent", "state", "created_at", "expires_at", "attempts"]
    )

    static let message = object(
        [
            "cursor": ["type": "integer", "minimum": 1], "id": text, "from": text, "intent": text, "body": anyJSON,
            "in_reply_to": text, "created_at": text, "received_at": text, "expires_at": text,
        ],
        required: ["cursor", "id", "from", "intent", "body", "created_at", "received_at"]
    )

    static let page = object(["messages": array(message), "cursor": count], required: ["messages", "cursor"])

    static let contact = object(
        [
            "did": text, "name": text, "since": text, "home_relays": array(text), "last_message_at": text,
            "tier": text,
        ],
        required: ["did", "since", "home_relays"]
    )
}
