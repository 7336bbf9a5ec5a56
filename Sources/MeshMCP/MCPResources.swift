import Foundation
import MCP
import MeshCore
import MeshPeer

/// The node's own card (`meshpeer://card`) and its inbox (`meshpeer://inbox`, the newest messages) as MCP
/// resources, and which of them the client subscribed to.
final class MCPResources: Sendable {
    static let card = "meshpeer://card"
    static let inbox = "meshpeer://inbox"
    /// The inbox resource shows at most this many of the newest messages, read in at most `inboxPages` pages.
    static let inboxSize = 50
    static let inboxPages = 40

    let api: MCPNodeAPI
    let home: String
    private let subscribed = LockedValue<Set<String>>([])

    init(api: MCPNodeAPI, home: String) {
        self.api = api
        self.home = home
    }

    func isSubscribed(_ uri: String) -> Bool { subscribed.withLock { $0.contains(uri) } }

    static let list = [
        Resource(
            name: "card",
            uri: card,
            title: "This agent's card",
            description: "The A2A agent card other agents see when they find this one.",
            mimeType: "application/json"
        ),
        Resource(
            name: "inbox",
            uri: inbox,
            title: "Inbox",
            description: "The newest received messages (up to \(inboxSize)); subscribe to hear of new ones.",
            mimeType: "application/json"
        ),
    ]

    func register(on server: Server) async {
        await server.withMethodHandler(ListResources.self) { _ in ListResources.Result(resources: Self.list) }
        await server.withMethodHandler(ReadResource.self) { [self] parameters in
            try await read(parameters.uri)
        }
        await server.withMethodHandler(ResourceSubscribe.self) { [self] parameters in
            try Self.check(parameters.uri)
            subscribed.withLock { _ = $0.insert(parameters.uri) }
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { [self] parameters in
            subscribed.withLock { _ = $0.remove(parameters.uri) }
            return Empty()
        }
    }

    static func check(_ uri: String) throws {
        guard uri == card || uri == inbox else {
            throw MCPError.invalidParams("no resource \(uri) (the resources are \(card) and \(inbox))")
        }
    }

    func read(_ uri: String) async throws -> ReadResource.Result {
        try Self.check(uri)
        do {
            let data = uri == Self.card ? try await cardJSON() : try await inboxJSON()
            return ReadResource.Result(contents: [.text(data, uri: uri, mimeType: "application/json")])
        } catch let error as NodeAPIError {
            throw MCPError.internalError(MCPErrorText.describe(error, home: home))
        }
    }

    /// The card as the DHT holds it (verified), else the owner's card.json while the record is not yet published.
    private func cardJSON() async throws -> String {
        let status = try await api.status()
        if let mine = try? await api.find(.did(status.did)).first {
            return try Self.encode(mine.card)
        }
        let path = home + "/card.json"
        guard let data = FileManager.default.contents(atPath: path), data.count <= 64 * 1024 else {
            throw MCPError.internalError("the node's record is not published yet and \(path) cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The newest `inboxSize` messages, paging forward from the start (bounded by `inboxPages`).
    private func inboxJSON() async throws -> String {
        var newest: [InboxMessage] = []
        var cursor: Int64 = 0
        for _ in 0..<Self.inboxPages {
            let page = try await api.messages(after: cursor, limit: 500, wait: nil)
            newest = Array((newest + page.messages).suffix(Self.inboxSize))
            cursor = page.cursor
            if page.messages.count < 500 { break }
        }
        return try Self.encode(MessagePage(messages: newest, cursor: cursor))
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
