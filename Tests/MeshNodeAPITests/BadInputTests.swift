import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// Client mistakes get a 400 (or 413) that names the problem; never a 5xx.
@Suite struct BadInputTests {
    func post(_ api: APIHarness, _ path: String, _ body: String) async throws -> (Int, ErrorBody.Detail?) {
        let reply = try await api.raw(
            api.request("POST", path, headers: ["Content-Type: application/json"], body: body)
        )
        return (reply.status, try? ErrorBody.decode(reply.body))
    }

    @Test func malformedJSONAndWrongTypesAre400WithAReason() async throws {
        try await APIHarness.with { api in
            let peer = FakeNode.peerDID
            let cases: [(String, String)] = [
                (#"{"to": "#, "not valid JSON"),
                ("", "empty"),
                ("[1, 2]", "JSON object"),
                (#""just a string""#, "JSON object"),
                (#"{"to": 5, "intent": "chat.message", "body": {}}"#, "field 'to' must be a string"),
                (#"{"to": "\#(peer)", "body": {}}"#, "missing field 'intent'"),
                (#"{"to": "\#(peer)", "intent": null, "body": {}}"#, "field 'intent'"),
                (
                    #"{"to": "\#(peer)", "intent": "chat.message", "body": {}, "expires_in_seconds": "soon"}"#,
                    "expires_in_seconds"
                ),
                (
                    #"{"to": "\#(peer)", "intent": "chat.message", "body": {}, "expires_in_seconds": 0}"#,
                    "expires_in_seconds"
                ),
                (
                    #"{"to": "\#(peer)", "intent": "chat.message", "body": {}, "in_replyto": "m-1"}"#,
                    "unknown field 'in_replyto'"
                ),
                (#"{"to": "bob", "intent": "chat.message", "body": {}}"#, "must be a DID"),
                (#"{"to": "\#(peer)", "intent": "  ", "body": {}}"#, "'intent' must not be empty"),
            ]
            for (body, expected) in cases {
                let (status, error) = try await post(api, "/v1/messages", body)
                #expect(status == 400, "\(body)")
                #expect(error?.code == "bad_request", "\(body)")
                #expect(error?.message.contains(expected) == true, "\(body): \(error?.message ?? "no error body")")
            }
            let (status, error) = try await post(api, "/v1/knocks", #"{"to": "\#(peer)", "intent": "x"}"#)
            #expect(status == 400)
            #expect(error?.message.contains("missing field 'purpose'") == true)
            let (decideStatus, decideError) = try await post(api, "/v1/knocks/k-1/approve", #"{"reason": 7}"#)
            #expect(decideStatus == 400)
            #expect(decideError?.message.contains("'reason' must be a string") == true)
        }
    }

    @Test func everyQueryParameterIsChecked() async throws {
        try await APIHarness.with { api in
            let cases: [(String, String)] = [
                ("/v1/messages?after=abc", "'after' must be a whole number"),
                ("/v1/messages?after=-1", "'after' must be a whole number"),
                ("/v1/messages?after=99999999999999999999", "'after'"),
                ("/v1/messages?limit=0", "'limit' must be 1...500"),
                ("/v1/messages?limit=501", "'limit' must be 1...500"),
                ("/v1/messages?limit=", "'limit'"),
                ("/v1/messages?wait=61", "'wait' must be 0...60"),
                ("/v1/messages?wait=nan", "'wait' must be a number"),
                ("/v1/messages?wait=-1", "'wait'"),
                ("/v1/messages?after=1&after=2", "more than once"),
                ("/v1/messages?cursor=3", "unknown query parameter 'cursor'"),
                ("/v1/find", "give a query parameter 'capability' or 'did'"),
                ("/v1/find?capability=a&did=did:key:z6Mkx", "not both"),
                ("/v1/find?capability=", "'capability' must not be empty"),
                ("/v1/find?did=alice", "must be a DID"),
                ("/v1/status?verbose=1", "this endpoint takes none"),
                ("/v1/find?capability=%ZZ", "percent-encoded"),
            ]
            for (path, expected) in cases {
                let reply = try await api.raw(api.request("GET", path))
                #expect(reply.status == 400, "\(path): \(reply.text)")
                let message = (try? ErrorBody.decode(reply.body).message) ?? ""
                #expect(message.contains(expected), "\(path): \(message)")
            }
            let fine = try await api.raw(api.request("GET", "/v1/messages?after=0&limit=500&wait=0.05"))
            #expect(fine.status == 200, "\(fine.text)")
        }
    }

    @Test func anOversizeBodyIs413BeforeItIsBuffered() async throws {
        try await APIHarness.with(LocalAPIConfiguration(maximumBodyBytes: 1024)) { api in
            // Declared too large: refused from the header, before a byte of the body is read.
            let declared = try await api.raw(
                api.request("POST", "/v1/messages", headers: ["Content-Length: 10000000"]),
                until: { $0.contains("}}") }
            )
            #expect(declared.status == 413, "\(declared.text)")
            #expect(try ErrorBody.decode(declared.body).code == "too_large")

            // Chunked, so no length up front: refused once the body passes the limit.
            let chunk = String(repeating: "x", count: 1500)
            let chunked =
                api.request("POST", "/v1/knocks", headers: ["Transfer-Encoding: chunked"])
                + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n0\r\n\r\n"
            let reply = try await api.raw(chunked, until: { $0.contains("}}") })
            #expect(reply.status == 413, "\(reply.text)")

            // Just under the limit is decoded normally (and fails on its content, not its size).
            let under =
                #"{"to": "\#(FakeNode.peerDID)", "intent": "chat.message", "body": {"text": "\#(String(repeating: "y", count: 800))"}}"#
            let accepted = try await api.raw(api.request("POST", "/v1/messages", body: under))
            #expect(accepted.status == 202, "\(accepted.text)")
        }
    }

    @Test func badIDsInThePathAre400Or404() async throws {
        try await APIHarness.with { api in
            let long = String(repeating: "a", count: 300)
            let cases: [(String, String, Int)] = [
                ("GET", "/v1/messages/sent/\(long)", 400), ("GET", "/v1/messages/sent/%0A", 400),
                ("GET", "/v1/messages/sent/%E2%9C%93", 404), ("POST", "/v1/knocks//approve", 404),
            ]
            for (method, path, expected) in cases {
                let reply = try await api.raw(api.request(method, path, body: ""))
                #expect(reply.status == expected, "\(path): \(reply.text)")
            }
        }
    }
}
