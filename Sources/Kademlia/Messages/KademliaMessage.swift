import MeshCore

/// The six RPCs and their replies (one byte of kind, then the body).
///
/// Every reply that lists contacts also carries a write token for the requester's address, so a lookup's last
/// round already holds the tokens a publish needs.
public enum KademliaMessage: Hashable, Sendable {
    case ping
    case pong(observed: TransportAddress)
    case findNode(target: NodeID)
    case nodes(contacts: [Contact], token: [UInt8])
    case findValue(key: NodeID)
    case value(record: RecordEnvelope?, contacts: [Contact], token: [UInt8])
    case store(token: [UInt8], record: RecordEnvelope)
    case getProviders(key: NodeID)
    case providers(records: [RecordEnvelope], contacts: [Contact], token: [UInt8])
    case addProvider(token: [UInt8], record: RecordEnvelope)
    /// The reply to `store` and `addProvider`: accepted, or the rejection code.
    case stored(accepted: Bool, code: String)

    public static let maximumContacts = 20
    public static let maximumProviders = 20

    public enum Kind: UInt8, Sendable {
        case ping = 1
        case pong = 2
        case findNode = 3
        case nodes = 4
        case findValue = 5
        case value = 6
        case store = 7
        case getProviders = 8
        case providers = 9
        case addProvider = 10
        case stored = 11
    }

    public var kind: Kind {
        switch self {
        case .ping: .ping
        case .pong: .pong
        case .findNode: .findNode
        case .nodes: .nodes
        case .findValue: .findValue
        case .value: .value
        case .store: .store
        case .getProviders: .getProviders
        case .providers: .providers
        case .addProvider: .addProvider
        case .stored: .stored
        }
    }

    public var isRequest: Bool {
        switch kind {
        case .ping, .findNode, .findValue, .store, .getProviders, .addProvider: true
        default: false
        }
    }

    /// The reply kind a request expects.
    public var expectedReply: Kind? {
        switch kind {
        case .ping: .pong
        case .findNode: .nodes
        case .findValue: .value
        case .getProviders: .providers
        case .store, .addProvider: .stored
        default: nil
        }
    }
}
