import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// The dashboard's forms on a real server: a decision made by a same-origin form with the CSRF token reaches the
/// node; a cross-site, token-less, oversize or malformed one gets a 4xx that says why and changes nothing.
@Suite struct DashboardFormTests {
    func knockState(_ api: APIHarness, _ id: String) async -> String? {
        await api.node.knocks().first { $0.id == id }?.state
    }

    @Test func aSameOriginFormWithTheTokenApprovesAKnock() async throws {
        try await APIHarness.with { api in
            let knock = await api.node.holdIncomingKnock()
            let browser = try await DashboardBrowser.loggedIn(api)
            let csrf = try #require(browser.csrf)
            let reply = try await browser.post(
                "/dashboard/knocks/decide",
                form: "csrf=\(csrf)&id=\(knock.id)&decision=approve"
            )
            #expect(reply.status == 303)
            #expect(reply.header("Location") == "/dashboard?notice=approved")
            #expect(await knockState(api, knock.id) == "accepted")
            let page = try await browser.get("/dashboard?notice=approved")
            #expect(page.body.contains("Knock approved"))
            // Deciding it again: the node's refusal, with its status and reason, as a page.
            let again = try await browser.post(
                "/dashboard/knocks/decide",
                form: "csrf=\(csrf)&id=\(knock.id)&decision=deny"
            )
            #expect(again.status == 409)
            #expect(again.body.contains("role=\"alert\""))
        }
    }

    @Test func aFormWithoutTheRightCSRFTokenIsRefused() async throws {
        try await APIHarness.with { api in
            let knock = await api.node.holdIncomingKnock()
            let browser = try await DashboardBrowser.loggedIn(api)
            let other = try await DashboardBrowser.loggedIn(api)
            let forms = [
                "id=\(knock.id)&decision=approve",
                "csrf=&id=\(knock.id)&decision=approve",
                "csrf=\(String(repeating: "0", count: 64))&id=\(knock.id)&decision=approve",
                "csrf=\(try #require(other.csrf))&id=\(knock.id)&decision=approve",
            ]
            for form in forms {
                let reply = try await browser.post("/dashboard/knocks/decide", form: form)
                #expect([400, 403].contains(reply.status), "\(form): \(reply.status)")
                #expect(reply.body.contains("csrf") || reply.body.contains("CSRF"), "\(form): \(reply.body)")
            }
            #expect(await knockState(api, knock.id) == "held")
        }
    }

    @Test func crossSiteRequestsAreRefused() async throws {
        try await APIHarness.with { api in
            let knock = await api.node.holdIncomingKnock()
            let browser = try await DashboardBrowser.loggedIn(api)
            let csrf = try #require(browser.csrf)
            let form = "csrf=\(csrf)&id=\(knock.id)&decision=approve"
            let refusals: [(String?, [String], String)] = [
                ("https://evil.example", [], "Origin"),
                ("null", [], "Origin"),
                ("http://127.0.0.1:1", [], "Origin"),
                (nil, [], "neither Origin nor Referer"),
                (nil, ["Referer: https://evil.example/dashboard"], "Referer"),
                (browser.origin, ["Sec-Fetch-Site: cross-site"], "Sec-Fetch-Site"),
            ]
            for (origin, headers, reason) in refusals {
                let reply = try await browser.post(
                    "/dashboard/knocks/decide",
                    form: form,
                    origin: .some(origin),
                    headers: headers
                )
                #expect(reply.status == 403, "\(origin ?? "no origin") \(headers)")
                #expect(reply.body.contains(reason), "\(reply.body)")
                #expect(reply.header("Access-Control-Allow-Origin") == nil)
            }
            // A DNS name pointed at 127.0.0.1 (rebinding) is not this origin, even with a matching Origin.
            let rebound = browser.request(
                "POST",
                "/dashboard/knocks/decide",
                host: "evil.example",
                headers: ["Origin: http://evil.example", "Content-Type: application/x-www-form-urlencoded"],
                body: form
            )
            let reply = try await api.raw(rebound)
            #expect(reply.status == 403)
            #expect(await knockState(api, knock.id) == "held")
            // The login form is guarded the same way (login CSRF).
            let code = try await browser.loginCode().code
            let login = try await browser.post(
                "/dashboard/login",
                form: "code=\(code)",
                origin: .some("https://evil.example")
            )
            #expect(login.status == 403)
            // A same-origin Referer is enough when a browser sends no Origin.
            let referred = try await browser.post(
                "/dashboard/knocks/decide",
                form: form,
                origin: .some(nil),
                headers: ["Referer: \(browser.origin)/dashboard"]
            )
            #expect(referred.status == 303)
            #expect(await knockState(api, knock.id) == "accepted")
        }
    }

    @Test func oversizeAndMalformedFormsGetA4xxWithAMessage() async throws {
        try await APIHarness.with { api in
            let knock = await api.node.holdIncomingKnock()
            let browser = try await DashboardBrowser.loggedIn(api)
            let csrf = try #require(browser.csrf)
            let big = try await browser.post(
                "/dashboard/breaker/trip",
                form: "csrf=\(csrf)&reason=" + String(repeating: "x", count: 5_000)
            )
            #expect(big.status == 413)
            #expect(big.body.contains("4096 bytes"))
            let cases: [(String, Int, String)] = [
                ("csrf=\(csrf)&id=\(knock.id)&decision=maybe", 400, "'approve' or 'deny'"),
                ("csrf=\(csrf)&id=\(knock.id)", 400, "missing field 'decision'"),
                ("csrf=\(csrf)&id=%zz&decision=approve", 400, "two hex digits"),
                ("csrf=\(csrf)&id=%C3%28&decision=approve", 400, "not valid UTF-8"),
                ("csrf=\(csrf)&id=a%0Ab&decision=approve", 400, "control characters"),
                ("csrf=\(csrf)&id=\(knock.id)&decision=approve&admin=1", 400, "unknown form field 'admin'"),
                ("csrf=\(csrf)&id=\(knock.id)&id=k-9&decision=approve", 400, "more than once"),
                ("csrf=\(csrf)&id", 400, "no '='"),
                ("csrf=\(csrf)&id=nope&decision=approve", 404, "no incoming knock nope"),
            ]
            for (form, status, message) in cases {
                let reply = try await browser.post("/dashboard/knocks/decide", form: form)
                #expect(reply.status == status, "\(form): \(reply.status)")
                #expect(reply.body.contains(DashboardHTMLText.escape(message)), "\(form): \(reply.body)")
            }
            let json = try await browser.post(
                "/dashboard/knocks/decide",
                form: #"{"csrf": "\#(csrf)"}"#,
                contentType: "application/json"
            )
            #expect(json.status == 415)
            #expect(json.body.contains("x-www-form-urlencoded"))
            #expect(await knockState(api, knock.id) == "held")
        }
    }

    @Test func otherMethodsAndPathsAreRefusedWithoutCORS() async throws {
        try await APIHarness.with { api in
            let browser = try await DashboardBrowser.loggedIn(api)
            let preflight = try await api.raw(
                browser.request(
                    "OPTIONS",
                    "/dashboard/knocks/decide",
                    headers: ["Origin: https://evil.example", "Access-Control-Request-Method: POST"],
                    body: nil
                )
            )
            #expect(preflight.status == 405)
            #expect(preflight.header("Access-Control-Allow-Origin") == nil)
            #expect(preflight.header("Access-Control-Allow-Methods") == nil)
            let get = try await browser.get("/dashboard/knocks/decide")
            #expect(get.status == 405)
            #expect(try await browser.get("/dashboard/nothing-here").status == 404)
        }
    }

    @Test func theBreakerPanelSaysWhenTheBuildHasNoBreaker() async throws {
        try await APIHarness.with { api in
            let browser = try await DashboardBrowser.loggedIn(api)
            let csrf = try #require(browser.csrf)
            let page = try await browser.get("/dashboard")
            #expect(page.body.contains("Circuit breaker"))
            let trip = try await browser.post("/dashboard/breaker/trip", form: "csrf=\(csrf)&reason=test")
            #expect([303, 503].contains(trip.status))
        }
    }
}

/// The escaping the dashboard applies to a message before showing it (apostrophes and quotes become entities).
enum DashboardHTMLText {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "'", with: "&#39;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
