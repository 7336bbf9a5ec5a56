import Foundation
import MeshCore
import MeshPeer
import Testing

@testable import MeshNodeAPI

/// The dashboard's pure parts: the session table under a given clock and seeded randomness, the form decoder,
/// and the renderer's escaping and plot.
@Suite struct DashboardUnitTests {
    struct Counter: RandomSource {
        var next: UInt8 = 1
        mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
            for index in buffer.indices {
                buffer[index] = next
                next &+= 1
            }
        }
    }

    @Test func codesExpireAfterAMinuteAndWorkOnce() {
        var table = DashboardSessionTable()
        var random = Counter()
        let start = ContinuousClock.now
        let code = table.issueCode(now: start, random: &random)
        let late = table.issueCode(now: start, random: &random)
        let session = table.redeem(code: code, now: start + .seconds(59), random: &random)
        #expect(session != nil)
        #expect(table.redeem(code: code, now: start + .seconds(59), random: &random) == nil)
        #expect(table.redeem(code: late, now: start + .seconds(60), random: &random) == nil)
        #expect(table.redeem(code: code.uppercased(), now: start, random: &random) == nil)
        #expect(table.redeem(code: "not hex", now: start, random: &random) == nil)
    }

    @Test func sessionsExpireAndAreBounded() throws {
        var limits = DashboardSessionTable.Limits()
        limits.maximumSessions = 2
        limits.maximumCodes = 2
        var table = DashboardSessionTable(limits: limits)
        var random = Counter()
        let start = ContinuousClock.now
        var sessions: [DashboardSessionTable.Session] = []
        for _ in 0..<3 {
            let code = table.issueCode(now: start, random: &random)
            sessions.append(try #require(table.redeem(code: code, now: start, random: &random)))
        }
        #expect(table.sessionCount == 2)
        #expect(table.session(cookie: sessions[0].cookie, now: start) == nil, "the oldest session was not evicted")
        #expect(table.session(cookie: sessions[2].cookie, now: start) == sessions[2])
        #expect(sessions[2].csrf != sessions[2].cookie)
        #expect(DashboardSessionTable.csrfMatches(sessions[2].csrf, sessions[2]))
        #expect(!DashboardSessionTable.csrfMatches(sessions[1].csrf, sessions[2]))
        #expect(table.session(cookie: sessions[2].cookie, now: start + .seconds(8 * 3_600)) == nil)
        let codes = (0..<3).map { _ in table.issueCode(now: start, random: &random) }
        #expect(table.redeem(code: codes[0], now: start, random: &random) == nil, "the oldest code was not evicted")
        #expect(table.redeem(code: codes[2], now: start, random: &random) != nil)
    }

    @Test func theFormDecoderIsStrict() throws {
        let form = try DashboardForm(Array("a=1+2&b=%C3%A9%26&c=".utf8), allowed: ["a", "b", "c"])
        #expect(form["a"] == "1 2")
        #expect(form["b"] == "é&")
        #expect(form["c"] == "")
        #expect(throws: DashboardFormError.self) { try form.required("c") }
        #expect(try DashboardForm([], allowed: []).fields.isEmpty)
        let bad: [(String, String)] = [
            ("a=%", "two hex digits"), ("a=%4", "two hex digits"), ("a=%FF", "UTF-8"), ("a=%00", "control"),
            ("x=1", "unknown form field"), ("a=1&a=2", "more than once"), ("a", "no '='"),
            (Array(repeating: "a=1", count: 17).joined(separator: "&"), "more than 16"),
            ("a=" + String(repeating: "b", count: 1_025), "longer than 1024"),
        ]
        for (body, reason) in bad {
            #expect {
                try DashboardForm(Array(body.utf8), allowed: ["a"])
            } throws: { error in
                (error as? DashboardFormError)?.message.contains(reason) == true
            }
        }
        #expect {
            try DashboardForm(Array(repeating: UInt8(ascii: "a"), count: 4_097), allowed: ["a"])
        } throws: { error in
            (error as? DashboardFormError)?.tooLarge == true
        }
    }

    @Test func whatPeersWroteIsEscaped() {
        let knock = KnockSummary(
            id: "k\"><script>alert(1)</script>",
            direction: "incoming",
            peer: "did:key:z6Mk<img src=x onerror=alert(1)>",
            intent: "task.request",
            purpose: "<script>alert('purpose')</script>",
            state: "held",
            createdAt: "2026-12-04T20:00:00Z"
        )
        let html = DashboardPanels.knocks(.success([knock]), csrf: String(repeating: "c", count: 64))
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&#39;purpose&#39;)&lt;/script&gt;"))
        #expect(html.contains("k&quot;&gt;&lt;script&gt;"))
    }

    @Test func thePlotDrawsEveryHourAndSaysItInText() {
        let hours = (0..<24).map { hour in
            HourlyTraffic(hour: String(format: "2026-12-04T%02d:00:00.000Z", hour), relayed: hour % 5, direct: hour % 2)
        }
        let svg = DashboardPlot.render(hours)
        #expect(svg.contains("<svg role=\"img\""))
        #expect(svg.contains("<title id=\"plot-title\">Messages per hour by path</title>"))
        let relayed = hours.reduce(0) { $0 + $1.relayed }
        let direct = hours.reduce(0) { $0 + $1.direct }
        #expect(svg.contains("\(relayed) messages relayed and \(direct) direct in the last 24 hours"))
        let plot = svg.components(separatedBy: "</svg>")[0]
        let bars = plot.components(separatedBy: "<rect ").count - 1
        #expect(bars == hours.filter { $0.relayed > 0 }.count + hours.filter { $0.direct > 0 }.count)
        #expect(svg.contains("<td>2026-12-04T04:00:00.000Z</td><td>4</td><td>0</td>"))
        #expect(DashboardPlot.hourLabel("2026-12-04T14:00:00.000Z") == "14:00")
    }

    @Test func countersAreReadFromPrometheusText() {
        let text = """
            # TYPE meshpeer_messages_sent_total counter
            meshpeer_messages_sent_total 12
            meshpeer_relay_forwarded_total{relay="a"} 3
            meshpeer_relay_forwarded_total{relay="b"} 4
            meshpeer_bad_value NaN
            process_open_fds 9
            """
        let counters = DashboardSnapshot.counters(in: text)
        #expect(counters["meshpeer_messages_sent_total"] == 12)
        #expect(counters["meshpeer_relay_forwarded_total"] == 7)
        #expect(counters["meshpeer_bad_value"] == nil)
        #expect(counters["process_open_fds"] == nil)
    }
}
