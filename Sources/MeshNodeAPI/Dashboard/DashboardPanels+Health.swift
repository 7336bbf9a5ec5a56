import MeshPeer

/// The panels that read figures rather than lists: traffic, network health, launch figures, the audit log.
extension DashboardPanels {
    static func traffic(_ facts: Result<DashboardFacts, NodeAPIError>) -> String {
        let title = "Messages per hour by path (last 24 hours)"
        switch facts {
        case .success(let facts): return section("traffic", title, DashboardPlot.render(facts.hourly))
        case .failure(let error): return section("traffic", title, unavailable(error))
        }
    }

    /// The exposure level in words (docs/exposure.md): who can find this agent.
    static func exposure(_ level: Exposure) -> String {
        switch level {
        case .listed: "listed (found by capability, by DID and in indexers)"
        case .unlisted: "unlisted (found only by whoever knows the DID)"
        case .private: "private (found only with an invite)"
        }
    }

    /// The NAT class with its certainty in words (decision 0101): a class measured by one server is a guess
    /// between cone and symmetric, and the page says so.
    static func natClass(_ nat: NATStatus?) -> String {
        guard let nat else { return "<span class=\"na\">not measured yet (the first probe runs at start)</span>" }
        let certainty =
            switch nat.certainty {
            case "full": "measured by \(nat.serversAnswered) servers"
            case "partial": "one server answered: a symmetric NAT cannot be told from a cone"
            default: "no server answered: UDP may be blocked"
            }
        return """
            <strong id="nat-class">\(DashboardHTML.escape(nat.natClass))</strong> \
            (certainty <span id="nat-certainty">\(DashboardHTML.escape(nat.certainty))</span>: \(certainty); \
            <time datetime="\(DashboardHTML.escape(nat.measuredAt))">\(DashboardHTML.escape(nat.measuredAt))</time>)
            """
    }

    static func network(_ snapshot: DashboardSnapshot) -> String {
        let status = snapshot.status
        var body = """
            <ul><li>DHT peers: <strong id="dht-peers">\(status.dhtContacts)</strong></li>
            <li>Record published: \(status.published ? "yes" : "<span class=\"bad\">not yet</span>")</li>
            <li>Exposure: <strong id="exposure">\(exposure(status.exposure ?? .listed))</strong></li>
            <li>NAT class: \(natClass(status.nat))</li>
            """
        if case .success(let facts) = snapshot.facts {
            let relayed = facts.hourly.reduce(0) { $0 + $1.relayed }
            let direct = facts.hourly.reduce(0) { $0 + $1.direct }
            body += "<li>Messages in the last 24 hours: \(relayed) relayed, \(direct) direct"
            if relayed + direct > 0 { body += " (\(percent(direct, of: relayed + direct)) direct)" }
            body += "</li>"
        }
        body += "</ul>"
        guard !status.relays.isEmpty else { return section("network", "Network health", body + "<p>No relay.</p>") }
        var rows = ""
        for relay in status.relays {
            let state = DashboardHTML.escape(relay.state)
            rows += """
                <tr><td><code>\(DashboardHTML.escape(relay.address))</code></td><td>\(relay.home ? "home" : "other")</td>\
                <td class="state \(relay.state == "ready" ? "good" : "bad")">\(state)</td>\
                <td>\(relay.roundTripMs.map { String(($0 * 10).rounded() / 10) + " ms" } ?? "")</td>\
                <td>\(DashboardHTML.escape(relay.lastError ?? ""))</td></tr>
                """
        }
        body += """
            <table><caption>Relays</caption><thead><tr><th scope="col">relay</th><th scope="col">role</th>
            <th scope="col">state</th><th scope="col">round trip</th><th scope="col">last error</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        return section("network", "Network health", body)
    }

    static func figures(_ snapshot: DashboardSnapshot) -> String {
        let counters = snapshot.counters
        var cells: [(String, String, String)] = []
        let sent = Int(counters["meshpeer_messages_sent_total"] ?? 0)
        let received = Int(counters["meshpeer_messages_received_total"] ?? 0)
        if case .success(let facts) = snapshot.facts {
            cells.append(
                (
                    "Messages exchanged", "\(facts.messagesSent + facts.messagesReceived)",
                    "\(facts.messagesSent) sent, \(facts.messagesReceived) received (kept by the node)"
                )
            )
            let decided = facts.knocksAccepted + facts.knocksRejected
            cells.append(
                (
                    "Knock acceptance", decided == 0 ? "–" : percent(facts.knocksAccepted, of: decided),
                    "\(facts.knocksAccepted) accepted, \(facts.knocksRejected) rejected, \(facts.knocksHeld) waiting"
                )
            )
        } else {
            cells.append(("Messages exchanged", "\(sent + received)", "since the node started"))
        }
        let stored = Int(counters["meshpeer_relay_store_and_forward_total"] ?? 0)
        let forwarded = Int(counters["meshpeer_relay_forwarded_total"] ?? 0)
        cells.append(
            (
                "Store-and-forward", stored + forwarded == 0 ? "–" : percent(stored, of: stored + forwarded),
                "\(stored) of \(stored + forwarded) sends held by a relay for an offline peer (since start)"
            )
        )
        cells.append(("Sent / received since start", "\(sent) / \(received)", "messages, this process"))
        let body = cells.map { "<div><span>\($0.0)</span><strong>\($0.1)</strong><small>\($0.2)</small></div>" }
            .joined()
        return section("figures", "Launch figures", "<div class=\"figures\">\(body)</div>")
    }

    static func audit(_ audit: Result<DashboardAudit, NodeAPIError>) -> String {
        guard case .success(let log) = audit else {
            if case .failure(let error) = audit { return section("audit", "Audit log", unavailable(error)) }
            return ""
        }
        var body =
            log.verified
            ? "<p class=\"good state\" id=\"audit-verify\">The chain verifies (\(log.checked) entries).</p>"
            : "<p class=\"bad state\" id=\"audit-verify\" role=\"alert\">The chain does not verify"
                + (log.firstBadSeq.map { ": entry \($0) is wrong" } ?? "")
                + (log.reason.map { " (\(DashboardHTML.escape($0)))" } ?? "") + ".</p>"
        guard !log.entries.isEmpty else { return section("audit", "Audit log", body + "<p>No entries yet.</p>") }
        var rows = ""
        for entry in log.entries {
            rows += """
                <tr><td>\(entry.seq)</td><td>\(DashboardHTML.escape(entry.at))</td><td>\(DashboardHTML.escape(entry.kind))</td>\
                <td>\(entry.peer.map(DashboardHTML.did) ?? "")</td><td>\(DashboardHTML.escape(entry.intent ?? ""))</td>\
                <td>\(DashboardHTML.escape(entry.detail))</td></tr>
                """
        }
        body += """
            <table><caption>Newest \(log.entries.count) entries</caption><thead><tr><th scope="col">#</th>
            <th scope="col">at</th><th scope="col">kind</th><th scope="col">peer</th><th scope="col">intent</th>
            <th scope="col">detail</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        return section("audit", "Audit log", body)
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "–" }
        return "\(Int((Double(part) * 100 / Double(whole)).rounded()))%"
    }
}
