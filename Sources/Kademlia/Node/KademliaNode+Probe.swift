import MeshCore

/// One direct request a crawler sends to one contact (decision 0088). The same messages every node already
/// answers, so a probe gives a crawler nothing a stranger could not already ask for.
public enum ProbeRequest: Hashable, Sendable {
    /// The contact's closest nodes to `target`.
    case findNode(NodeID)
    /// The record the contact holds under `key`, if any, and its closest nodes to `key`.
    case findValue(NodeID)
    /// The provider entries the contact holds under `key`.
    case getProviders(NodeID)

    var message: KademliaMessage {
        switch self {
        case .findNode(let target): .findNode(target: target)
        case .findValue(let key): .findValue(key: key)
        case .getProviders(let key): .getProviders(key: key)
        }
    }

    var key: NodeID {
        switch self {
        case .findNode(let key), .findValue(let key), .getProviders(let key): key
        }
    }
}

/// What one probe brought back. `senderKey` is the key the reply was signed with (its ID is the contact's ID);
/// records were validated and checked to belong under the asked key, the rest refused and counted as usual.
public struct ProbeResult: Sendable {
    public var id: QueryID
    public var request: ProbeRequest
    public var contact: Contact
    public var senderKey: Ed25519.PublicKey?
    public var contacts: [Contact]
    public var record: ValidatedRecord?
    public var providers: [ValidatedRecord]
    public var timedOut: Bool
    public var finished: Timestamp

    public var answered: Bool { senderKey != nil }
}

extension KademliaNode {
    /// Sends `request` to `contact` alone and reports the reply (or its absence) as `.probeFinished`. The reply must
    /// come from the contact's address, signed by the key its ID hashes, like any lookup reply. A full pending
    /// table fails the probe at once (reported, counted as `overloaded`).
    @discardableResult
    public func probe(_ request: ProbeRequest, to contact: Contact, now: Timestamp) -> QueryID {
        let query = makeQueryID()
        let sent = sendRequest(
            request.message,
            to: contact.address,
            expectedID: contact.id,
            purpose: .probe(query, request),
            now: now
        )
        if sent == nil {
            emit(.probeFinished(ProbeResult.unanswered(query, request, contact, now: now)))
        }
        return query
    }

    func finishProbe(
        _ query: QueryID,
        _ request: ProbeRequest,
        reply message: DHTDatagram,
        from source: TransportAddress,
        now: Timestamp
    ) {
        var result = ProbeResult.unanswered(query, request, Contact(id: message.senderID, address: source), now: now)
        result.senderKey = message.sender
        result.timedOut = false
        switch message.message {
        case .nodes(let contacts, _):
            result.contacts = contacts
        case .value(let record, let contacts, _):
            result.contacts = contacts
            result.record = record.flatMap { accepted($0, forKey: request.key, from: source, now: now) }
        case .providers(let records, let contacts, _):
            result.contacts = contacts
            result.providers = records.compactMap { accepted($0, forKey: request.key, from: source, now: now) }
        default:
            break
        }
        result.contacts.removeAll { $0.id == localID }
        emit(.probeFinished(result))
    }
}

extension ProbeResult {
    static func unanswered(_ id: QueryID, _ request: ProbeRequest, _ contact: Contact, now: Timestamp) -> ProbeResult {
        ProbeResult(
            id: id,
            request: request,
            contact: contact,
            senderKey: nil,
            contacts: [],
            record: nil,
            providers: [],
            timedOut: true,
            finished: now
        )
    }
}
