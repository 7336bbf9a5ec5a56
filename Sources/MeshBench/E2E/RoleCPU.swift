import Foundation

/// Where a throughput run's CPU went, by role: the sending and the receiving node, the relays, and meshbench
/// itself (the agents' API clients). All of them share this machine's cores, so a path's messages per second is
/// bounded by their sum; the split says which process to make cheaper (issue 12's direct-to-relay ratio, issue 11's
/// relay ratio). CPU time is user + system from /proc/PID/stat (a child) and getrusage (meshbench).
struct RoleCPU: Sendable {
    var seconds: [String: Double]

    /// The roles' CPU seconds now: `sender` and `recipient` are agents' nodes, `relays` the relay processes.
    static func snapshot(_ mesh: E2EMesh, sender: String, recipient: String) -> RoleCPU {
        func cpu(_ name: String) -> Double {
            mesh.mesh.process(name).flatMap { processSeconds(pid: $0.pid) } ?? 0
        }
        return RoleCPU(seconds: [
            "sender": cpu(sender),
            "recipient": cpu(recipient),
            "relays": E2EMesh.relayNames.map(cpu).reduce(0, +),
            "bench": ownSeconds(),
        ])
    }

    /// Milliseconds of CPU per message for each role between `start` and `self`, and their total.
    func millisecondsPerMessage(since start: RoleCPU, messages: Int) -> [String: Double] {
        var split: [String: Double] = [:]
        for (role, now) in seconds {
            split[role] = max(now - (start.seconds[role] ?? 0), 0) * 1_000 / Double(max(messages, 1))
        }
        split["total"] = split.values.reduce(0, +)
        return split.mapValues { ($0 * 1_000).rounded() / 1_000 }
    }

    /// utime + stime of `pid` in seconds, or nil when it cannot be read (the process is gone).
    static func processSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command's closing parenthesis: state is field 3, utime 14 and stime 15 (proc(5)).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
