import Foundation
import Hummingbird
import MeshPeer
import ServiceLifecycle

/// One function per endpoint: check the query and body, call the node, pick the status.
extension APIResponder {
    func handle(_ route: APIRoute, _ request: Request) async throws(NodeAPIError) -> Response {
        switch route {
        case .status:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(await control.status())
        case .find:
            return APIResponse.json(try await control.find(try findQuery(request)))
        case .createKnock:
            let knock = try await decode(
                KnockRequest.self,
                request,
                fields: ["to", "intent", "purpose", "introduced_by"]
            )
            try Validate.did(knock.to, field: "to")
            try Validate.nonEmpty(knock.intent, field: "intent")
            try Validate.nonEmpty(knock.purpose, field: "purpose")
            if let introducer = knock.introducedBy { try Validate.did(introducer, field: "introduced_by") }
            return APIResponse.json(try await control.knock(knock), status: .created)
        case .listKnocks:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.knocks())
        case .decideKnock(let id, let accept):
            _ = try APIQuery(request.uri.query, allowed: [])
            let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
            let decision =
                body.readableBytes == 0
                ? KnockDecisionRequest() : try APIBody.decode(KnockDecisionRequest.self, from: body, fields: ["reason"])
            return APIResponse.json(try await control.decide(knock: id, accept: accept, reason: decision.reason))
        case .send:
            let message = try await decode(
                SendRequest.self,
                request,
                fields: ["to", "intent", "body", "in_reply_to", "expires_in_seconds"]
            )
            try Validate.did(message.to, field: "to")
            try Validate.nonEmpty(message.intent, field: "intent")
            if let reply = message.inReplyTo { try Validate.nonEmpty(reply, field: "in_reply_to") }
            if let expiry = message.expiresInSeconds, expiry < 1 {
                throw NodeAPIError(.badRequest, "field 'expires_in_seconds' must be at least 1")
            }
            return APIResponse.json(try await control.send(message), status: .accepted)
        case .messages:
            return APIResponse.json(try await messages(request))
        case .sentMessage(let id):
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.sentMessage(id: id))
        case .contacts:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.contacts())
        case .rotateKnockToken:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.rotateKnockToken())
        case .rotateAPIToken:
            _ = try APIQuery(request.uri.query, allowed: [])
            let closed: Int
            do {
                closed = try tokens.rotate()
            } catch {
                throw NodeAPIError(.unavailable, "the token was not rotated: \(error.description)")
            }
            await dashboardSessions.endAll()
            let now = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            return APIResponse.json(APITokenRotation(rotatedAt: now, closedEventStreams: closed))
        case .dashboardLogin:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(await DashboardLogin.issue(dashboardSessions), status: .created)
        case .events:
            _ = try APIQuery(request.uri.query, allowed: [])
            return await EventStream.response(
                control: control,
                request: request,
                keepAlive: configuration.eventKeepAlive,
                endOn: tokens
            )
        case .audit, .auditVerify, .breaker, .breakerTrip, .breakerReset:
            return try await handleOwner(route, request)
        case .metrics:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.text(await control.metrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .listInvites, .createInvite, .resolveInvite, .revokeInvite:
            return try await handleInvite(route, request)
        case .paths:
            _ = try APIQuery(request.uri.query, allowed: [])
            return APIResponse.json(try await control.paths())
        case .resetPath:
            _ = try APIQuery(request.uri.query, allowed: [])
            let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
            let reset = try APIBody.decode(PathResetRequest.self, from: body, fields: ["peer"])
            try Validate.nonEmpty(reset.peer, field: "peer")
            return APIResponse.json(try await control.resetPath(peer: reset.peer))
        }
    }

    private func findQuery(_ request: Request) throws(NodeAPIError) -> FindQuery {
        let query = try APIQuery(request.uri.query, allowed: ["capability", "did", "q"])
        if let words = query.string("q") {
            guard query.string("capability") == nil, query.string("did") == nil else {
                throw NodeAPIError(.badRequest, "give one of 'q', 'capability' or 'did'")
            }
            try Validate.nonEmpty(words, field: "q")
            return .words(words)
        }
        switch (query.string("capability"), query.string("did")) {
        case (let capability?, nil):
            try Validate.nonEmpty(capability, field: "capability")
            return .capability(capability)
        case (nil, let did?):
            try Validate.did(did, field: "did")
            return .did(did)
        case (_?, _?):
            throw NodeAPIError(.badRequest, "give either 'capability' or 'did', not both")
        case (nil, nil):
            throw NodeAPIError(.badRequest, "give a query parameter 'capability' or 'did'")
        }
    }

    /// `GET /v1/messages`: a long poll when `wait` is set, cut short (with what is there) at graceful shutdown.
    private func messages(_ request: Request) async throws(NodeAPIError) -> MessagePage {
        let query = try APIQuery(request.uri.query, allowed: ["after", "limit", "wait"])
        let after = try query.integer("after", in: 0...Int64.max, default: 0)
        let limit = Int(try query.integer("limit", in: 1...500, default: 100))
        let wait = try query.seconds("wait", in: 0...60).flatMap { $0 > 0 ? Duration.seconds($0) : nil }
        guard let wait else { return try await control.messages(after: after, limit: limit, wait: nil) }
        let control = self.control
        let result: Result<MessagePage, NodeAPIError> = await cancelWhenGracefulShutdown {
            do throws(NodeAPIError) {
                return .success(try await control.messages(after: after, limit: limit, wait: wait))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func decode<T: Decodable>(
        _ type: T.Type,
        _ request: Request,
        fields: Set<String>
    ) async throws(NodeAPIError) -> T {
        let body = try await APIBody.collect(request, limit: configuration.maximumBodyBytes)
        return try APIBody.decode(type, from: body, fields: fields)
    }
}

/// Checks on decoded fields that the JSON types alone do not express.
enum Validate {
    static func nonEmpty(_ value: String, field: String) throws(NodeAPIError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw NodeAPIError(.badRequest, "field '\(field)' must not be empty")
        }
    }

    static func did(_ value: String, field: String) throws(NodeAPIError) {
        guard value.hasPrefix("did:"), value.utf8.count > 4, value.utf8.count <= 512,
            !value.contains(where: { $0.isWhitespace })
        else {
            throw NodeAPIError(.badRequest, "'\(field)' must be a DID (did:key:z6Mk…), not '\(APIQuery.quote(value))'")
        }
    }
}
