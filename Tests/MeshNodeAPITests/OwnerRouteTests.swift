import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// The owner's routes (/v1/audit, /v1/audit/verify, /v1/breaker, trip, reset): the token, the methods, bad input,
/// and what the node answers going out as it is.
@Suite struct OwnerRouteTests {
    static let routes = [
        ("GET", "/v1/audit"), ("GET", "/v1/audit/verify"), ("GET", "/v1/breaker"), ("POST", "/v1/breaker/trip"),
        ("POST", "/v1/breaker/reset"),
    ]

    @Test func everyOwnerRouteNeedsTheToken() async throws {
        try await APIHarness.with { api in
            for (method, path) in Self.routes {
                let reply = try await api.raw("\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(reply.status == 401, "\(path)")
                let wrong = try await api.raw(api.request(method, path, token: String(repeating: "0", count: 64)))
                #expect(wrong.status == 401, "\(path) with a wrong token")
            }
        }
    }

    @Test func wrongMethodsAre405() async throws {
        try await APIHarness.with { api in
            for (method, path) in Self.routes {
                let other = method == "GET" ? "POST" : "GET"
                let reply = try await api.raw(api.request(other, path))
                #expect(reply.status == 405, "\(other) \(path)")
            }
        }
    }

    @Test func badInputIs4xxWithAMessage() async throws {
        try await APIHarness.with { api in
            let cases: [(String, String, String?, Int, String)] = [
                ("GET", "/v1/audit?after=-1", nil, 400, "'after'"),
                ("GET", "/v1/audit?limit=0", nil, 400, "'limit'"),
                ("GET", "/v1/audit?limit=1001", nil, 400, "'limit'"),
                ("GET", "/v1/audit?colour=red", nil, 400, "colour"),
                ("GET", "/v1/audit/verify?x=1", nil, 400, "x"),
                ("POST", "/v1/breaker/trip", "", 400, "JSON"),
                ("POST", "/v1/breaker/trip", "{}", 400, "missing field 'reason'"),
                ("POST", "/v1/breaker/trip", #"{"reason": 5}"#, 400, "'reason' must be a string"),
                ("POST", "/v1/breaker/trip", #"{"reason": "  "}"#, 400, "'reason' must not be empty"),
                ("POST", "/v1/breaker/trip", #"{"reason": "x", "force": true}"#, 400, "unknown field 'force'"),
                ("POST", "/v1/breaker/reset", #"{"now": true}"#, 400, "unknown field 'now'"),
                ("POST", "/v1/breaker/reset", "[]", 400, "JSON object"),
                (
                    "POST", "/v1/breaker/trip", #"{"reason": ""# + String(repeating: "x", count: 300_000) + #""}"#,
                    413, "larger than",
                ),
            ]
            for (method, path, body, status, expected) in cases {
                let headers = body == nil ? [] : ["Content-Type: application/json"]
                let reply = try await api.raw(api.request(method, path, headers: headers, body: body))
                #expect(
                    reply.status == status,
                    "\(method) \(path) \(body?.prefix(40) ?? ""): \(reply.text.prefix(200))"
                )
                let error = try? ErrorBody.decode(reply.body)
                #expect(error?.message.contains(expected) == true, "\(path): \(error?.message ?? "no error body")")
            }
        }
    }

    @Test func theRoutesAnswerWithTheNodesValues() async throws {
        try await APIHarness.with { api in
            let client = try LocalAPIClient(baseURL: api.url, token: api.token, eventLoopGroup: api.group)
            #expect(try await client.tripBreaker(reason: "owner says stop").reason == "owner says stop")
            #expect(try await client.resetBreaker().state == "closed")
            #expect(try await client.audit().entries.map(\.kind) == ["breaker.tripped"])
            #expect(try await client.verifyAudit().ok)
            // Nulls are written out for the dashboard, not left out.
            let reply = try await api.raw(api.request("GET", "/v1/breaker"))
            #expect(reply.text.contains(#""reason":null"#) && reply.text.contains(#""since":null"#))
        }
    }
}
