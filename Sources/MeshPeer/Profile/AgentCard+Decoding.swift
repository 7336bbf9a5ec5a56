/// Strict decoding from JSON, shared by `Decodable` and `CardFile`: every type reads itself from a `JSONValue`
/// at a path, so errors name the field.
extension AgentCard {
    static let fields: Set<String> = [
        "name", "description", "supportedInterfaces", "provider", "version", "documentationUrl", "capabilities",
        "securitySchemes", "securityRequirements", "defaultInputModes", "defaultOutputModes", "skills",
        "signatures", "iconUrl",
    ]

    init(json: JSONValue, path: String = "") throws(ProfileError) {
        let card = try CardFields(json, path: path, allowed: AgentCard.fields)
        var interfaces: [AgentInterface] = []
        for (index, item) in try card.list("supportedInterfaces", required: true)!.enumerated() {
            interfaces.append(try AgentInterface(json: item, path: "\(card.field("supportedInterfaces"))[\(index)]"))
        }
        guard let capabilities = card.value("capabilities") else {
            throw ProfileError(.missingField, field: card.field("capabilities"), "required (an empty object will do)")
        }
        var skills: [AgentSkill] = []
        for (index, item) in try card.list("skills", required: true)!.enumerated() {
            skills.append(try AgentSkill(json: item, path: "\(card.field("skills"))[\(index)]"))
        }
        self.init(
            name: try card.requiredString("name"),
            description: try card.requiredString("description"),
            supportedInterfaces: interfaces,
            provider: try card.value("provider").map { value throws(ProfileError) in
                try AgentProvider(json: value, path: card.field("provider"))
            },
            version: try card.requiredString("version"),
            documentationUrl: try card.string("documentationUrl"),
            capabilities: try AgentCapabilities(json: capabilities, path: card.field("capabilities")),
            securitySchemes: try card.object("securitySchemes"),
            securityRequirements: try card.list("securityRequirements", required: false),
            defaultInputModes: try card.strings("defaultInputModes", required: true)!,
            defaultOutputModes: try card.strings("defaultOutputModes", required: true)!,
            skills: skills,
            signatures: try card.list("signatures", required: false),
            iconUrl: try card.string("iconUrl")
        )
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: try JSONValue(from: decoder))
    }
}

extension AgentInterface {
    init(json: JSONValue, path: String) throws(ProfileError) {
        let fields = try CardFields(json, path: path, allowed: ["url", "protocolBinding", "tenant", "protocolVersion"])
        self.init(
            url: try fields.requiredString("url"),
            protocolBinding: try fields.requiredString("protocolBinding"),
            tenant: try fields.string("tenant"),
            protocolVersion: try fields.requiredString("protocolVersion")
        )
    }

    public init(from decoder: any Decoder) throws { try self.init(json: try JSONValue(from: decoder), path: "") }
}

extension AgentProvider {
    init(json: JSONValue, path: String) throws(ProfileError) {
        let fields = try CardFields(json, path: path, allowed: ["url", "organization"])
        self.init(url: try fields.requiredString("url"), organization: try fields.requiredString("organization"))
    }

    public init(from decoder: any Decoder) throws { try self.init(json: try JSONValue(from: decoder), path: "") }
}

extension AgentCapabilities {
    init(json: JSONValue, path: String) throws(ProfileError) {
        let fields = try CardFields(
            json,
            path: path,
            allowed: ["streaming", "pushNotifications", "extensions", "extendedAgentCard"]
        )
        var extensions: [AgentExtension]?
        if let items = try fields.list("extensions", required: false) {
            extensions = []
            for (index, item) in items.enumerated() {
                extensions?.append(try AgentExtension(json: item, path: "\(fields.field("extensions"))[\(index)]"))
            }
        }
        self.init(
            streaming: try fields.bool("streaming"),
            pushNotifications: try fields.bool("pushNotifications"),
            extensions: extensions,
            extendedAgentCard: try fields.bool("extendedAgentCard")
        )
    }

    public init(from decoder: any Decoder) throws { try self.init(json: try JSONValue(from: decoder), path: "") }
}

extension AgentExtension {
    init(json: JSONValue, path: String) throws(ProfileError) {
        let fields = try CardFields(json, path: path, allowed: ["uri", "description", "required", "params"])
        uri = try fields.string("uri")
        description = try fields.string("description")
        required = try fields.bool("required")
        params = try fields.object("params")
    }

    public init(from decoder: any Decoder) throws { try self.init(json: try JSONValue(from: decoder), path: "") }
}

extension AgentSkill {
    init(json: JSONValue, path: String) throws(ProfileError) {
        let fields = try CardFields(
            json,
            path: path,
            allowed: [
                "id", "name", "description", "tags", "examples", "inputModes", "outputModes", "securityRequirements",
            ]
        )
        self.init(
            id: try fields.requiredString("id"),
            name: try fields.requiredString("name"),
            description: try fields.requiredString("description"),
            tags: try fields.strings("tags", required: true)!,
            examples: try fields.strings("examples", required: false),
            inputModes: try fields.strings("inputModes", required: false),
            outputModes: try fields.strings("outputModes", required: false),
            securityRequirements: try fields.list("securityRequirements", required: false)
        )
    }

    public init(from decoder: any Decoder) throws { try self.init(json: try JSONValue(from: decoder), path: "") }
}
