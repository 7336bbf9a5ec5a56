import Hummingbird
import MeshPeer

/// The owner's dashboard under `/dashboard` on the local API's listener (docs/dashboard.md, decision 0091).
///
/// Every request must name a loopback Host. Every page but the login page needs the session cookie; without it
/// the answer is 401 with a login notice. Every POST must come from this origin (`Origin`/`Referer`,
/// `Sec-Fetch-Site`) and, once logged in, carry the session's CSRF token; forms are bounded and strictly decoded.
/// No response carries a CORS header.
struct DashboardServer: Sendable {
    let control: any NodeControl
    let sessions: DashboardSessionStore
    let keepAlive: Duration

    /// The cookie lives as long as its session, on the dashboard's paths only, out of reach of scripts and of
    /// requests from other sites.
    static func cookie(_ value: String, maxAge: Int) -> String {
        "\(DashboardRequestCheck.cookieName)=\(value); Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
    }

    static func owns(_ path: String) -> Bool { path == "/dashboard" || path.hasPrefix("/dashboard/") }

    func respond(to request: Request) async -> Response {
        do {
            return try await route(request)
        } catch {
            return DashboardHTML.error(error)
        }
    }

    private func route(_ request: Request) async throws(DashboardRefusal) -> Response {
        let origin = try DashboardRequestCheck.origin(of: request).get()
        let path = request.uri.path
        let method = request.method
        let posts = [
            "/dashboard/login", "/dashboard/logout", "/dashboard/knocks/decide", "/dashboard/breaker/trip",
            "/dashboard/breaker/reset",
        ]
        let gets = ["/dashboard", "/dashboard/", "/dashboard/panels", "/dashboard/events", "/dashboard/login"]
        guard posts.contains(path) || gets.contains(path) else {
            throw DashboardRefusal(.notFound, "there is no dashboard page at \(DashboardForm.quote(path))")
        }
        let allowed = path == "/dashboard/login" ? "GET, POST" : (posts.contains(path) ? "POST" : "GET")
        guard (method == .get && gets.contains(path)) || (method == .post && posts.contains(path)) else {
            throw DashboardRefusal(.methodNotAllowed, "this page takes \(allowed) only")
        }
        if method == .post, let refusal = DashboardRequestCheck.sameOrigin(request, origin: origin) { throw refusal }
        if path == "/dashboard/login" {
            try Self.noQuery(request)
            return method == .get ? DashboardHTML.page(DashboardPage.login()) : try await login(request)
        }
        guard let cookie = DashboardRequestCheck.sessionCookie(request),
            let session = await sessions.session(cookie: cookie)
        else {
            throw DashboardRefusal(.unauthorized, "you are not logged in, or your session has ended")
        }
        if method == .get { return try await page(path, request, session) }
        let form = try await Self.form(request, allowed: Self.fields[path] ?? ["csrf"])
        guard DashboardSessionTable.csrfMatches(try Self.required("csrf", form), session) else {
            throw DashboardRefusal(.forbidden, "the form's CSRF token is missing or wrong: reload the dashboard")
        }
        return try await act(path, form, session)
    }

    private static let fields: [String: Set<String>] = [
        "/dashboard/knocks/decide": ["csrf", "id", "decision"],
        "/dashboard/breaker/trip": ["csrf", "reason"],
    ]

    private func page(
        _ path: String,
        _ request: Request,
        _ session: DashboardSessionTable.Session
    ) async throws(DashboardRefusal) -> Response {
        switch path {
        case "/dashboard/events":
            try Self.noQuery(request)
            let sessions = self.sessions
            let cookie = session.cookie
            return await DashboardEventStream.response(control: control, request: request, keepAlive: keepAlive) {
                await sessions.session(cookie: cookie) != nil
            }
        case "/dashboard/panels":
            try Self.noQuery(request)
            let snapshot = await DashboardSnapshot.gather(from: control)
            return DashboardHTML.page(DashboardPanels.render(snapshot, csrf: session.csrf))
        default:
            let notice: String?
            do { notice = try APIQuery(request.uri.query, allowed: ["notice"]).string("notice") } catch {
                throw DashboardRefusal(error)
            }
            let snapshot = await DashboardSnapshot.gather(from: control)
            return DashboardHTML.page(DashboardPage.dashboard(snapshot, csrf: session.csrf, notice: notice))
        }
    }

    private func login(_ request: Request) async throws(DashboardRefusal) -> Response {
        let form = try await Self.form(request, allowed: ["code"])
        guard let session = await sessions.redeem(code: try Self.required("code", form)) else {
            throw DashboardRefusal(
                .unauthorized,
                "that login code is wrong, already used or expired (codes last a minute)"
            )
        }
        let maxAge = Int(sessions.sessionLifetimeSeconds)
        return DashboardHTML.redirect(to: "/dashboard", cookie: Self.cookie(session.cookie, maxAge: maxAge))
    }

    private func act(
        _ path: String,
        _ form: DashboardForm,
        _ session: DashboardSessionTable.Session
    ) async throws(DashboardRefusal) -> Response {
        do {
            switch path {
            case "/dashboard/logout":
                await sessions.end(cookie: session.cookie)
                return DashboardHTML.redirect(to: "/dashboard/login", cookie: Self.cookie("", maxAge: 0))
            case "/dashboard/knocks/decide":
                let id = try Self.required("id", form)
                let decision = try Self.required("decision", form)
                guard decision == "approve" || decision == "deny" else {
                    throw DashboardRefusal(.badRequest, "decision must be 'approve' or 'deny'")
                }
                _ = try await control.decide(knock: id, accept: decision == "approve", reason: nil)
                return DashboardHTML.redirect(to: "/dashboard?notice=\(decision == "approve" ? "approved" : "denied")")
            case "/dashboard/breaker/trip":
                try await DashboardBreaker.trip(control, reason: try Self.required("reason", form))
                return DashboardHTML.redirect(to: "/dashboard?notice=tripped")
            default:
                try await DashboardBreaker.reset(control)
                return DashboardHTML.redirect(to: "/dashboard?notice=reset")
            }
        } catch let error as DashboardRefusal {
            throw error
        } catch let error as NodeAPIError {
            throw DashboardRefusal(error)
        } catch {
            throw DashboardRefusal(.badRequest, "\(error)")
        }
    }

    /// The form of a POST: `application/x-www-form-urlencoded`, at most `DashboardForm.maximumBytes`.
    private static func form(_ request: Request, allowed: Set<String>) async throws(DashboardRefusal) -> DashboardForm {
        try noQuery(request)
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard type?.lowercased() == "application/x-www-form-urlencoded" else {
            throw DashboardRefusal(
                .unsupportedMediaType,
                "a dashboard form must be sent as application/x-www-form-urlencoded"
            )
        }
        do {
            let body = try await APIBody.collect(request, limit: DashboardForm.maximumBytes)
            return try DashboardForm(Array(body.readableBytesView), allowed: allowed)
        } catch let error as NodeAPIError {
            throw DashboardRefusal(
                error.code == .tooLarge ? .tooLarge : .badRequest,
                error.code == .tooLarge
                    ? "the form is larger than the \(DashboardForm.maximumBytes) bytes the dashboard accepts"
                    : error.message
            )
        } catch let error as DashboardFormError {
            throw DashboardRefusal(error.tooLarge ? .tooLarge : .badRequest, error.message)
        } catch {
            throw DashboardRefusal(.badRequest, "the form could not be read")
        }
    }

    private static func required(_ name: String, _ form: DashboardForm) throws(DashboardRefusal) -> String {
        do { return try form.required(name) } catch { throw DashboardRefusal(.badRequest, error.message) }
    }

    private static func noQuery(_ request: Request) throws(DashboardRefusal) {
        do { _ = try APIQuery(request.uri.query, allowed: []) } catch { throw DashboardRefusal(error) }
    }
}
