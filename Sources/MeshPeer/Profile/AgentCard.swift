/// An A2A AgentCard (A2A 1.0, `lf.a2a.v1.AgentCard`, as the official `a2a-sdk` parses it): JSON member names,
/// required fields and their types are the SDK's. MeshPeer's own data travels only in
/// `capabilities.extensions` (`urn:meshpeer:…`), never in fields of its own (decision 0072).
///
/// Decoding is strict: unknown members are refused and required fields must be present and non-empty, with an
/// error naming the field (`ProfileError`). Members this node does not interpret (security schemes and
/// requirements, signatures) are kept as JSON and passed through unchanged.
public struct AgentCard: Hashable, Sendable, Codable {
    public var name: String
    public var description: String
    /// Where and how to reach the agent; the first is the preferred one.
    public var supportedInterfaces: [AgentInterface]
    public var provider: AgentProvider?
    public var version: String
    public var documentationUrl: String?
    public var capabilities: AgentCapabilities
    public var securitySchemes: [String: JSONValue]?
    public var securityRequirements: [JSONValue]?
    public var defaultInputModes: [String]
    public var defaultOutputModes: [String]
    public var skills: [AgentSkill]
    public var signatures: [JSONValue]?
    public var iconUrl: String?

    public init(
        name: String,
        description: String,
        supportedInterfaces: [AgentInterface],
        provider: AgentProvider? = nil,
        version: String,
        documentationUrl: String? = nil,
        capabilities: AgentCapabilities = AgentCapabilities(),
        securitySchemes: [String: JSONValue]? = nil,
        securityRequirements: [JSONValue]? = nil,
        defaultInputModes: [String],
        defaultOutputModes: [String],
        skills: [AgentSkill],
        signatures: [JSONValue]? = nil,
        iconUrl: String? = nil
    ) {
        self.name = name
        self.description = description
        self.supportedInterfaces = supportedInterfaces
        self.provider = provider
        self.version = version
        self.documentationUrl = documentationUrl
        self.capabilities = capabilities
        self.securitySchemes = securitySchemes
        self.securityRequirements = securityRequirements
        self.defaultInputModes = defaultInputModes
        self.defaultOutputModes = defaultOutputModes
        self.skills = skills
        self.signatures = signatures
        self.iconUrl = iconUrl
    }
}

/// One way to reach the agent: a URL, a protocol binding (`JSONRPC`, `GRPC`, `HTTP+JSON`, or another) and the
/// A2A protocol version spoken there.
public struct AgentInterface: Hashable, Sendable, Codable {
    public var url: String
    public var protocolBinding: String
    public var tenant: String?
    public var protocolVersion: String

    public init(url: String, protocolBinding: String, tenant: String? = nil, protocolVersion: String) {
        self.url = url
        self.protocolBinding = protocolBinding
        self.tenant = tenant
        self.protocolVersion = protocolVersion
    }
}

public struct AgentProvider: Hashable, Sendable, Codable {
    public var url: String
    public var organization: String

    public init(url: String, organization: String) {
        self.url = url
        self.organization = organization
    }
}

public struct AgentCapabilities: Hashable, Sendable, Codable {
    public var streaming: Bool?
    public var pushNotifications: Bool?
    public var extensions: [AgentExtension]?
    public var extendedAgentCard: Bool?

    public init(
        streaming: Bool? = nil,
        pushNotifications: Bool? = nil,
        extensions: [AgentExtension]? = nil,
        extendedAgentCard: Bool? = nil
    ) {
        self.streaming = streaming
        self.pushNotifications = pushNotifications
        self.extensions = extensions
        self.extendedAgentCard = extendedAgentCard
    }
}

/// A2A's extension mechanism: a URI naming the extension and free-form parameters.
public struct AgentExtension: Hashable, Sendable, Codable {
    public var uri: String?
    public var description: String?
    public var required: Bool?
    public var params: [String: JSONValue]?

    public init(uri: String, description: String? = nil, required: Bool? = nil, params: [String: JSONValue]? = nil) {
        self.uri = uri
        self.description = description
        self.required = required
        self.params = params
    }
}

public struct AgentSkill: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var description: String
    /// At least one; with the id, they are the capability names the node announces in the DHT.
    public var tags: [String]
    public var examples: [String]?
    public var inputModes: [String]?
    public var outputModes: [String]?
    public var securityRequirements: [JSONValue]?

    public init(
        id: String,
        name: String,
        description: String,
        tags: [String],
        examples: [String]? = nil,
        inputModes: [String]? = nil,
        outputModes: [String]? = nil,
        securityRequirements: [JSONValue]? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.tags = tags
        self.examples = examples
        self.inputModes = inputModes
        self.outputModes = outputModes
        self.securityRequirements = securityRequirements
    }
}
