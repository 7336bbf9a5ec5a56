import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// The dashboard's login on a real server: a one-time code from the bearer-token endpoint, a session cookie
/// with the right attributes, and 401 for every page without a live session.
@Suite struct DashboardLoginTests {
    @Test func theLoginCodeNeedsTheBearerToken() async throws {
        try await APIHarness.with { api in
            let missing = try await api.raw(
                "POST /v1/dashboard/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )
            #expect(missing.status == 401)
            let wrong = try await api.raw(
                api.request("POST", "/v1/dashboard/login", token: String(repeating: "0", count: 64), body: "")
            )
            #expect(wrong.status == 401)
            let login = try await api.client.dashboardLogin()
            #expect(login.code.count == 64 && login.code.allSatisfy(\.isHexDigit))
            #expect(login.path == "/dashboard/login#\(login.code)")
            #expect(login.expiresInSeconds == 60)
            let second = try await api.client.dashboardLogin()
            #expect(second.code != login.code)
        }
    }

    @Test func aCodeLogsInOnceWithAStrictHttpOnlyCookie() async throws {
        try await APIHarness.with { api in
            let browser = DashboardBrowser(api)
            let code = try await browser.loginCode().code
            let first = try await browser.post("/dashboard/login", form: "code=\(code)")
            #expect(first.status == 303)
            #expect(first.header("Location") == "/dashboard")
            let cookie = try #require(first.header("Set-Cookie"))
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age=28800"] {
                #expect(cookie.contains(attribute), "\(cookie) lacks \(attribute)")
            }
            let value = try #require(DashboardBrowser.cookieValue(cookie))
            #expect(value.count == 64 && value != code)
            let again = try await browser.post("/dashboard/login", form: "code=\(code)")
            #expect(again.status == 401)
            #expect(again.body.contains("wrong, already used or expired"))
            #expect(again.header("Set-Cookie") == nil)
        }
    }

    @Test func aWrongOrMissingCodeIsRefused() async throws {
        try await APIHarness.with { api in
            let browser = DashboardBrowser(api)
            _ = try await browser.loginCode()
            for form in ["code=" + String(repeating: "a", count: 64), "code=short", "code=", ""] {
                let reply = try await browser.post("/dashboard/login", form: form)
                #expect([400, 401].contains(reply.status), "\(form): \(reply.status)")
                #expect(reply.header("Set-Cookie") == nil)
            }
            // The code in a URL query is never read: the login takes it from a POSTed form only.
            let code = try await browser.loginCode().code
            let query = try await browser.get("/dashboard/login?code=\(code)")
            #expect(query.status == 400)
        }
    }

    @Test func everyPageButLoginNeedsALiveSession() async throws {
        try await APIHarness.with { api in
            var browser = DashboardBrowser(api)
            for path in ["/dashboard", "/dashboard/", "/dashboard/panels", "/dashboard/events"] {
                let reply = try await browser.get(path)
                #expect(reply.status == 401, "\(path)")
                #expect(reply.body.contains("meshpeer dashboard"), "\(path) gives no login notice")
            }
            // The bearer token is not a session.
            let bearer = try await browser.get("/dashboard", headers: ["Authorization: Bearer \(api.token.value)"])
            #expect(bearer.status == 401)
            browser.cookie = String(repeating: "ab", count: 32)
            #expect(try await browser.get("/dashboard").status == 401)
            let login = try await browser.get("/dashboard/login")
            #expect(login.status == 200)
            #expect(login.body.contains("<label for=\"code\">"))
        }
    }

    @Test func theDashboardPageShowsTheNodeUnderAStrictPolicy() async throws {
        try await APIHarness.with { api in
            let knock = await api.node.holdIncomingKnock()
            let browser = try await DashboardBrowser.loggedIn(api)
            let page = try await browser.get("/dashboard")
            #expect(page.status == 200)
            #expect(page.body.contains(FakeNode.ownDID.prefix(20)))
            #expect(page.body.contains("knock-\(knock.id)"))
            #expect(page.body.contains("Legal Translator"))
            #expect(browser.csrf?.count == 64)
            let policy = try #require(page.header("Content-Security-Policy"))
            for directive in [
                "default-src 'none'", "frame-ancestors 'none'", "script-src 'sha256-", "form-action 'self'",
            ] {
                #expect(policy.contains(directive), "\(policy) lacks \(directive)")
            }
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.header("Cache-Control") == "no-store")
            #expect(page.header("Access-Control-Allow-Origin") == nil)
            #expect(!page.body.contains("src=\"http"), "the page loads an external asset")
            let panels = try await browser.get("/dashboard/panels")
            #expect(panels.status == 200)
            #expect(panels.body.contains("knock-\(knock.id)"))
        }
    }

    @Test func theEventStreamTellsThePageToRefreshWithoutBodies() async throws {
        try await APIHarness.with { api in
            let browser = try await DashboardBrowser.loggedIn(api)
            async let reply = browser.get("/dashboard/events") { $0.contains("data: message") }
            #expect(try await eventually { await api.node.subscriberCount >= 1 })
            _ = await api.node.receive(body: .object(["text": .string("a secret body")]))
            let text = try await reply.text
            #expect(text.contains("event: refresh\ndata: message"))
            #expect(!text.contains("a secret body"))
        }
    }

    @Test func theEventStreamEndsWithItsSession() async throws {
        var configuration = LocalAPIConfiguration()
        configuration.eventKeepAlive = .milliseconds(50)
        try await APIHarness.with(configuration) { api in
            let browser = try await DashboardBrowser.loggedIn(api)
            let csrf = try #require(browser.csrf)
            // Read until the server closes the stream (RawHTTP gives up with an error after 10 s).
            async let stream = browser.get("/dashboard/events") { _ in false }
            #expect(try await eventually { await api.node.subscriberCount >= 1 })
            let out = try await browser.post("/dashboard/logout", form: "csrf=\(csrf)")
            #expect(out.status == 303)
            let text = try await stream.text
            #expect(text.contains(": connected"))
            #expect(try await eventually { await api.node.subscriberCount == 0 })
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await APIHarness.with { api in
            let browser = try await DashboardBrowser.loggedIn(api)
            let csrf = try #require(browser.csrf)
            let out = try await browser.post("/dashboard/logout", form: "csrf=\(csrf)")
            #expect(out.status == 303)
            #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await browser.get("/dashboard").status == 401)
        }
    }
}

extension DashboardBrowser {
    /// GET that reads until `done` says enough (for the event stream, which never ends by itself).
    func get(_ path: String, until done: @escaping @Sendable (String) -> Bool) async throws -> RawHTTP.Reply {
        try await api.raw(request("GET", path, headers: [], body: nil), until: done)
    }
}
