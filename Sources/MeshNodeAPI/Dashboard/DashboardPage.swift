import MeshPeer

/// The two whole pages: the dashboard itself and the login page the one-time link opens.
enum DashboardPage {
    /// Sentences a redirect after a form may ask for (`/dashboard?notice=…`); anything else shows nothing.
    static let notices = [
        "approved": "Knock approved: the agent is now a contact.",
        "denied": "Knock denied.",
        "tripped": "Breaker tripped: nothing leaves the node until you reset it.",
        "reset": "Breaker reset: the agent may send again.",
    ]

    static func dashboard(_ snapshot: DashboardSnapshot, csrf: String, notice: String?) -> String {
        let noticeHTML = notice.flatMap { notices[$0] }.map { "<p class=\"notice\" role=\"status\">\($0)</p>" } ?? ""
        let body = """
            <header><h1>MeshPeer owner's dashboard</h1>
            <p>Agent \(DashboardHTML.did(snapshot.status.did)) · node \(DashboardHTML.escape(snapshot.status.version)) · \
            up \(snapshot.status.uptimeSeconds / 60) min</p>
            <form method="post" action="/dashboard/logout">\(DashboardPanels.csrfField(csrf))
            <button type="submit">Log out</button></form></header>
            <main>\(noticeHTML)<p id="live" role="status" aria-live="polite">Live updates starting…</p>
            <div id="panels">\(DashboardPanels.render(snapshot, csrf: csrf))</div></main>
            """
        return DashboardHTML.document(title: "MeshPeer dashboard", body: body)
    }

    /// The page `meshpeer dashboard` opens: its script moves the code from the URL fragment into the form and
    /// submits it. Without a script the owner pastes the code printed by the CLI.
    static func login() -> String {
        let body = """
            <main><h1>Log in to the MeshPeer dashboard</h1>
            <p>Logging in… If nothing happens, paste the login code that <code>meshpeer dashboard</code> printed.</p>
            \(loginForm)</main>
            """
        return DashboardHTML.document(title: "Log in: MeshPeer dashboard", body: body)
    }

    /// The form a login code is spent with (the script fills it from the URL's fragment and submits it).
    static let loginForm = """
        <form id="login-form" method="post" action="/dashboard/login">
        <label for="code">Login code</label>
        <input type="text" id="code" name="code" autocomplete="off" spellcheck="false" required maxlength="64">
        <button type="submit">Log in</button></form>
        """
}
