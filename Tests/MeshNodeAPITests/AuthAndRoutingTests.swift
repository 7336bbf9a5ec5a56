import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// Every request needs the token; unknown paths are 404 and known paths with the wrong method 405, always with the
/// JSON error body.
@Suite struct AuthAndRoutingTests {
    @Test func aRequestWithoutTheTokenIs401WithAJSONError() async throws {
        try await APIHarness.with { api in
            for path in ["/v1/status", "/metrics", "/v1/events", "/v1/no-such-thing"] {
                let reply = try await api.raw("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(reply.status == 401, "\(path): \(reply.text)")
                #expect(reply.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
                let error = try ErrorBody.decode(reply.body)
                #expect(error.code == "unauthorized")
                #expect(error.message.contains("api-token"))
            }
        }
    }

    @Test func aWrongTokenIs401ForTheClientToo() async throws {
        try await APIHarness.with { api in
            let wrong = try #require(try? APIToken(String(repeating: "0", count: 64)))
            let client = try LocalAPIClient(baseURL: api.url, token: wrong, eventLoopGroup: api.group)
            await #expect(throws: NodeAPIError(.unauthorized, "wrong bearer token")) { try await client.status() }
            let lowercaseScheme = try await api.raw(
                api.request("GET", "/v1/status").replacingOccurrences(of: "Bearer", with: "bearer")
            )
            #expect(lowercaseScheme.status == 200)
            let basic = try await api.raw(
                api.request("GET", "/v1/status", headers: []).replacingOccurrences(of: "Bearer", with: "Basic")
            )
            #expect(basic.status == 401)
            let truncated = try await api.raw(
                api.request("GET", "/v1/status", token: String(api.token.value.dropLast()))
            )
            #expect(truncated.status == 401)
        }
    }

    @Test func anUnknownRouteIs404AndAWrongMethodIs405() async throws {
        try await APIHarness.with { api in
            let unknown = try await api.raw(api.request("GET", "/v1/nope"))
            #expect(unknown.status == 404)
            #expect(try ErrorBody.decode(unknown.body).code == "not_found")
            let trailing = try await api.raw(api.request("GET", "/v1/status/"))
            #expect(trailing.status == 404)

            let delete = try await api.raw(api.request("DELETE", "/v1/status"))
            #expect(delete.status == 405)
            #expect(delete.header("Allow") == "GET")
            #expect(try ErrorBody.decode(delete.body).code == "method_not_allowed")
            let getApprove = try await api.raw(api.request("GET", "/v1/knocks/k-1/approve"))
            #expect(getApprove.status == 405)
            #expect(getApprove.header("Allow") == "POST")
            let putMessages = try await api.raw(api.request("PUT", "/v1/messages", body: "{}"))
            #expect(putMessages.status == 405)
            #expect(putMessages.header("Allow") == "GET, POST")
        }
    }

    @Test func anIdleConnectionIsClosed() async throws {
        try await APIHarness.with(LocalAPIConfiguration(idleTimeout: .milliseconds(100))) { api in
            let started = ContinuousClock.now
            // Nothing is sent: the server closes the connection once it has been idle too long.
            let reply = try await api.raw("")
            #expect(reply.text.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func theNodesNotFoundIs404ThroughTheClient() async throws {
        try await APIHarness.with { api in
            await #expect(throws: NodeAPIError(.notFound, "no sent message m-99")) {
                try await api.client.sentMessage(id: "m-99")
            }
            await #expect(throws: NodeAPIError.self) { try await api.client.find(.did(FakeNode.strangerDID)) }
            let raw = try await api.raw(api.request("GET", "/v1/find?did=\(FakeNode.strangerDID)"))
            #expect(raw.status == 404)
            #expect(try ErrorBody.decode(raw.body).code == "not_found")
        }
    }
}

/// The error body every failure carries.
struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var code: String
        var message: String
    }
    var error: Detail

    static func decode(_ text: String) throws -> Detail {
        try JSONDecoder().decode(ErrorBody.self, from: Data(text.utf8)).error
    }
}
