import MeshPeer

/// The dashboard's panels as HTML, from a snapshot: the part the script reloads when the node reports a change.
/// Every value from the node or a peer is escaped; every form posts to this origin and carries the CSRF token.
enum DashboardPanels {
    static func render(_ snapshot: DashboardSnapshot, csrf: String) -> String {
        [
            breaker(snapshot.breaker, csrf: csrf),
            knocks(snapshot.knocks, csrf: csrf),
            contacts(snapshot.contacts),
            conversations(snapshot.facts),
            traffic(snapshot.facts),
            network(snapshot),
            figures(snapshot),
            audit(snapshot.audit),
        ].joined(separator: "\n")
    }

    static func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\" aria-labelledby=\"\(id)-title\"><h2 id=\"\(id)-title\">\(title)</h2>\(body)</section>"
    }

    static func unavailable(_ error: NodeAPIError) -> String {
        "<p class=\"na\">Not available: \(DashboardHTML.escape(error.message)).</p>"
    }

    static func csrfField(_ csrf: String) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(DashboardHTML.escape(csrf))\">"
    }

    static func breaker(_ breaker: Result<DashboardBreaker, NodeAPIError>, csrf: String) -> String {
        guard case .success(let state) = breaker else {
            if case .failure(let error) = breaker { return section("breaker", "Circuit breaker", unavailable(error)) }
            return ""
        }
        var body = "<p>State: <span class=\"state \(state.tripped ? "bad" : "good")\" id=\"breaker-state\">"
        body += state.tripped ? "tripped" : "closed"
        body += "</span>"
        if let since = state.since { body += " since \(DashboardHTML.escape(since))" }
        if state.tripped, let reason = state.reason {
            body += " (\(state.automatic ? "automatic" : "by the owner"): \(DashboardHTML.escape(reason)))"
        }
        body += "</p>"
        if state.tripped {
            body += """
                <form method="post" action="/dashboard/breaker/reset">\(csrfField(csrf))
                <button type="submit" id="breaker-reset">Reset the breaker (let the agent send again)</button></form>
                """
        } else {
            body += """
                <form method="post" action="/dashboard/breaker/trip">\(csrfField(csrf))
                <label for="breaker-reason">Reason</label>
                <input type="text" id="breaker-reason" name="reason" maxlength="200" required value="stopped by the owner">
                <button type="submit" class="danger" id="breaker-trip">Trip the breaker (stop all sending now)</button>
                </form>
                """
        }
        return section("breaker", "Circuit breaker", body)
    }

    static func knocks(_ knocks: Result<[KnockSummary], NodeAPIError>, csrf: String) -> String {
        guard case .success(let all) = knocks else {
            if case .failure(let error) = knocks { return section("knocks", "Pending knocks", unavailable(error)) }
            return ""
        }
        let held = all.filter { $0.direction == "incoming" && ($0.state == "held" || $0.state == "pending") }
        guard !held.isEmpty else {
            return section("knocks", "Pending knocks", "<p>No knock is waiting for your decision.</p>")
        }
        var rows = ""
        for knock in held.prefix(100) {
            let id = DashboardHTML.escape(knock.id)
            rows += """
                <tr id="knock-\(id)"><td>\(DashboardHTML.did(knock.peer))</td><td>\(DashboardHTML.escape(knock.intent))</td>
                <td>\(DashboardHTML.escape(knock.purpose))</td><td>\(DashboardHTML.escape(knock.createdAt))</td>
                <td><form method="post" action="/dashboard/knocks/decide">\(csrfField(csrf))
                <input type="hidden" name="id" value="\(id)">
                <button type="submit" name="decision" value="approve" aria-label="Approve the knock from \
                \(DashboardHTML.escape(knock.peer))">Approve</button>
                <button type="submit" name="decision" value="deny" aria-label="Deny the knock from \
                \(DashboardHTML.escape(knock.peer))">Deny</button></form></td></tr>
                """
        }
        return section(
            "knocks",
            "Pending knocks",
            """
            <table><thead><tr><th scope="col">from</th><th scope="col">intent</th><th scope="col">purpose</th>
            <th scope="col">received</th><th scope="col">decision</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        )
    }

    static func contacts(_ contacts: Result<[ContactSummary], NodeAPIError>) -> String {
        guard case .success(let all) = contacts else {
            if case .failure(let error) = contacts { return section("contacts", "Contacts", unavailable(error)) }
            return ""
        }
        guard !all.isEmpty else { return section("contacts", "Contacts", "<p>No contacts yet.</p>") }
        var rows = ""
        for contact in all.prefix(200) {
            rows += """
                <tr><td>\(DashboardHTML.escape(contact.name ?? "(no name)"))</td><td>\(DashboardHTML.did(contact.did))</td>
                <td>\(DashboardHTML.escape(contact.tier?.rawValue ?? "contact"))</td><td>\(DashboardHTML.escape(contact.since))</td>
                <td>\(DashboardHTML.escape(contact.lastMessageAt ?? "never"))</td></tr>
                """
        }
        return section(
            "contacts",
            "Contacts",
            """
            <p>Tiers, lowest first: knocked-accepted, contact, owner-verified (its owner certificate verified).</p>
            <table><thead><tr><th scope="col">name</th><th scope="col">DID</th><th scope="col">tier</th>
            <th scope="col">since</th><th scope="col">last message</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        )
    }

    static func conversations(_ facts: Result<DashboardFacts, NodeAPIError>) -> String {
        let title = "Recent conversations (metadata only)"
        guard case .success(let facts) = facts else {
            if case .failure(let error) = facts { return section("conversations", title, unavailable(error)) }
            return ""
        }
        guard !facts.conversations.isEmpty else { return section("conversations", title, "<p>No messages yet.</p>") }
        var rows = ""
        for conversation in facts.conversations {
            rows += """
                <tr><td>\(DashboardHTML.escape(conversation.name ?? "(unknown)"))</td>\
                <td>\(DashboardHTML.did(conversation.peer))</td><td>\(conversation.sent)</td>\
                <td>\(conversation.received)</td><td>\(DashboardHTML.escape(conversation.lastIntent ?? ""))</td>\
                <td>\(DashboardHTML.escape(conversation.lastAt ?? ""))</td></tr>
                """
        }
        return section(
            "conversations",
            title,
            """
            <table><thead><tr><th scope="col">name</th><th scope="col">peer</th><th scope="col">sent</th>
            <th scope="col">received</th><th scope="col">last intent</th><th scope="col">last message</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        )
    }
}
