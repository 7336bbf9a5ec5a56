import Foundation

/// Where a throughput run's CPU went, by role: the sending and the receiving node, the relays, and meshbench
/// itself (the agents' API clients). All of them share this machine's cores, so a path's messages per second is
/// bounded by their sum; the split says which process to make cheaper (issue 12's direct-to-relay ratio, issue 11's
/// relay ratio). CPU time is user + system from /proc/PID/stat (a child) and getrusage (meshbench).
struct RoleCPU: Sendable {
    var seconds: [String: Double]

    /// The roles' CPU seconds now: `sender` and `recipient` are agents' nodes, `relays` the relay processes.
    /// A role whose process cannot be read (it exited) is left out, never counted as zero.
    static func snapshot(_ mesh: E2EMesh, sender: String, recipient: String) -> RoleCPU {
        func cpu(_ name: String) -> Double? {
            mesh.mesh.process(name).flatMap { processSeconds(pid: $0.pid) }
        }
        var seconds: [String: Double] = ["bench": ownSeconds()]
        seconds["sender"] = cpu(sender)
        seconds["recipient"] = cpu(recipient)
        let relays = E2EMesh.relayNames.map(cpu)
        if relays.allSatisfy({ $0 != nil }) { seconds["relays"] = relays.compactMap { $0 }.reduce(0, +) }
        return RoleCPU(seconds: seconds)
    }

    /// Milliseconds of CPU per message for each role read at both ends of the window, and their total (`total` only
    /// when every role was read).
    func millisecondsPerMessage(since start: RoleCPU, messages: Int) -> [String: Double] {
        var split: [String: Double] = [:]
        for (role, now) in seconds {
            guard let before = start.seconds[role] else { continue }
            split[role] = max(now - before, 0) * 1_000 / Double(max(messages, 1))
        }
        if split.count == 4 { split["total"] = split.values.reduce(0, +) }
        return split.mapValues { ($0 * 1_000).rounded() / 1_000 }
    }

    /// utime + stime of `pid` in seconds, or nil when it cannot be read (the process is gone).
    static func processSeconds(pid: Int32) -> Double? {
        let text: String
        do {
            text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        } catch {
            return nil
        }
        guard let close = text.lastIndex(of: ")") else { return nil }
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
