import MeshPeer

/// Messages per hour by path as a stacked bar chart, drawn on the server as SVG (no script, no external asset),
/// with the same numbers in a table beneath for screen readers and for anyone who would rather read.
enum DashboardPlot {
    static let width = 720
    static let height = 220
    static let left = 44
    static let bottom = 28
    static let top = 12

    static func render(_ hours: [HourlyTraffic]) -> String {
        guard !hours.isEmpty else { return "<p class=\"na\">No traffic recorded.</p>" }
        let peak = max(1, hours.map { $0.relayed + $0.direct }.max() ?? 1)
        let plotHeight = height - bottom - top
        let slot = Double(width - left - 8) / Double(hours.count)
        let bar = max(2, slot * 0.7)
        var svg = """
            <svg role="img" aria-labelledby="plot-title plot-desc" width="100%" viewBox="0 0 \(width) \(height)" \
            xmlns="http://www.w3.org/2000/svg"><title id="plot-title">Messages per hour by path</title>\
            <desc id="plot-desc">\(description(hours))</desc>
            """
        for tick in [0, peak / 2, peak] where tick > 0 || peak > 0 {
            let y = top + plotHeight - plotHeight * tick / peak
            svg += "<line x1=\"\(left)\" x2=\"\(width)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#bbb\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(tick)</text>"
        }
        for (index, hour) in hours.enumerated() {
            let x = Double(left) + Double(index) * slot + (slot - bar) / 2
            let relayedHeight = Double(plotHeight * hour.relayed) / Double(peak)
            let directHeight = Double(plotHeight * hour.direct) / Double(peak)
            let base = Double(top + plotHeight)
            svg += rect(x: x, y: base - relayedHeight, width: bar, height: relayedHeight, fill: "#0645ad")
            svg += rect(
                x: x,
                y: base - relayedHeight - directHeight,
                width: bar,
                height: directHeight,
                fill: "#b35900"
            )
            if index % 3 == 0 || index == hours.count - 1 {
                svg += "<text x=\"\(format(x + bar / 2))\" y=\"\(height - 10)\" text-anchor=\"middle\">"
                svg += "\(DashboardHTML.escape(hourLabel(hour.hour)))</text>"
            }
        }
        svg += "</svg>"
        let legend = """
            <p>\(swatch("#0645ad")) <span class="state">relayed</span> (blue, lower) · \
            \(swatch("#b35900")) <span class="state">direct</span> (orange, upper); hours in UTC.</p>
            """
        return svg + legend + table(hours)
    }

    private static func swatch(_ fill: String) -> String {
        "<svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"\(fill)\"/></svg>"
    }

    private static func rect(x: Double, y: Double, width: Double, height: Double, fill: String) -> String {
        guard height > 0 else { return "" }
        return "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(width))\" height=\"\(format(height))\" "
            + "fill=\"\(fill)\"/>"
    }

    private static func table(_ hours: [HourlyTraffic]) -> String {
        var rows = ""
        for hour in hours where hour.relayed + hour.direct > 0 {
            rows +=
                "<tr><td>\(DashboardHTML.escape(hour.hour))</td><td>\(hour.relayed)</td><td>\(hour.direct)</td></tr>"
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"3\">No messages in these hours.</td></tr>" }
        return """
            <details><summary>The numbers</summary><table><caption>Messages per hour by path</caption>
            <thead><tr><th scope="col">hour (UTC)</th><th scope="col">relayed</th><th scope="col">direct</th></tr></thead>
            <tbody>\(rows)</tbody></table></details>
            """
    }

    private static func description(_ hours: [HourlyTraffic]) -> String {
        let relayed = hours.reduce(0) { $0 + $1.relayed }
        let direct = hours.reduce(0) { $0 + $1.direct }
        return "\(relayed) messages relayed and \(direct) direct in the last \(hours.count) hours."
    }

    /// `14:00` from `2026-12-04T14:00:00.000Z`.
    static func hourLabel(_ iso: String) -> String {
        guard let t = iso.firstIndex(of: "T") else { return iso }
        return String(iso[iso.index(after: t)...].prefix(5))
    }

    private static func format(_ value: Double) -> String {
        String((value * 10).rounded() / 10)
    }
}
