import Foundation
import MeshNode

/// What a joined node costs when nothing happens: its resident memory at the end of the window (VmRSS from
/// /proc/PID/status), and the packets on `lo` to or from any socket it holds, counted by `tcpdump`.
///
/// The node's sockets are found from /proc/PID/fd (socket inodes) matched in /proc/net/{tcp,tcp6,udp,udp6}: its
/// API listener, its DHT socket and its relay connections. Every other process on the machine uses other ports,
/// so a port filter counts the node's packets only (each packet on `lo` is captured once).
enum IdleProbe {
    static let method =
        "tcpdump -i lo on every local port of the node's sockets (found via /proc/PID/fd and /proc/net/{tcp,udp}[6]) "
        + "for the whole window; every packet to or from the node counts once (TCP acks and DHT pings included)"

    struct Result: Sendable {
        var rssMiB: Double
        /// The resident set split as the kernel reports it: anonymous (heaps, stacks) and file-backed (code, data).
        var anonMiB: Double
        var fileMiB: Double
        /// Proportional set size: shared library pages divided among the processes that map them.
        var pssMiB: Double
        /// The files whose mapped pages weigh most in the resident set, in MiB.
        var largestFiles: [String: Double]
        var packets: Int
        /// Of which UDP: the DHT socket's (TCP is the relay connections and the API).
        var udpPackets: Int
        var packetsPerSecond: Double
        var ports: [Int]
        var socketsChanged: Bool
        var seconds: Double
    }

    static func measure(
        pid: Int32,
        seconds: Int,
        root: String,
        during: @Sendable () async throws -> Void
    )
        async throws -> Result
    {
        guard
            let tcpdump = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/sbin/tcpdump"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw BenchError("tcpdump is missing: `apt-get install -y tcpdump` (the idle packet count needs it)")
        }
        let ports = try localPorts(pid: pid)
        guard !ports.isEmpty else { throw BenchError("found no socket of process \(pid)") }
        let capture = root + "/idle.pcap"
        let filter = ports.sorted().map { "port \($0)" }.joined(separator: " or ")
        let dump = try ChildProcess(
            name: "tcpdump",
            executable: tcpdump,
            arguments: ["-i", "lo", "-nn", "-U", "-w", capture, filter],
            logPath: root + "/tcpdump.log"
        )
        // tcpdump says "listening on lo" on stderr (the log) once its capture is open.
        _ = try await eventually("tcpdump to start", timeout: .seconds(10), every: .milliseconds(20)) {
            let log = (try? String(contentsOfFile: root + "/tcpdump.log", encoding: .utf8)) ?? ""
            return log.contains("listening on") ? true : nil
        }
        let start = ContinuousClock.now
        do {
            try await during()
            let remaining = Duration.seconds(seconds) - (ContinuousClock.now - start)
            if remaining > .zero { try await Task.sleep(for: remaining) }
        } catch {
            await dump.stop(grace: .seconds(2))
            throw error
        }
        let elapsed = milliseconds(since: start) / 1_000
        let rss = residentKiB(pid: pid)
        let anon = statusKiB(pid: pid, "RssAnon")
        let file = statusKiB(pid: pid, "RssFile")
        let pss = kiB(readProcFile("/proc/\(pid)/smaps_rollup"), "Pss")
        let files = residentByFile(pid: pid)
        let after = (try? localPorts(pid: pid)) ?? []
        await dump.stop(grace: .seconds(5))
        let packets = try countPackets(tcpdump: tcpdump, capture: capture)
        return Result(
            rssMiB: Double(rss) / 1_024,
            anonMiB: Double(anon) / 1_024,
            fileMiB: Double(file) / 1_024,
            pssMiB: Double(pss) / 1_024,
            largestFiles: files,
            packets: packets.all,
            udpPackets: packets.udp,
            packetsPerSecond: Double(packets.all) / elapsed,
            ports: ports.sorted(),
            socketsChanged: Set(after) != Set(ports),
            seconds: elapsed
        )
    }

    /// VmRSS of `pid` in KiB (0 if unreadable).
    static func residentKiB(pid: Int32) -> Int { statusKiB(pid: pid, "VmRSS") }

    /// A `… kB` field of /proc/PID/status (VmRSS, RssAnon, RssFile, RssShmem), 0 if unreadable.
    static func statusKiB(pid: Int32, _ field: String) -> Int { kiB(readProcFile("/proc/\(pid)/status"), field) }

    /// The value of a `Field:   N kB` line.
    static func kiB(_ text: String, _ field: String) -> Int {
        let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }

    /// Resident KiB per mapped file (from /proc/PID/smaps), the five largest, in MiB.
    static func residentByFile(pid: Int32) -> [String: Double] {
        var totals: [String: Int] = [:]
        var current = "[anonymous]"
        for line in readProcFile("/proc/\(pid)/smaps").split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                current = fields.count >= 6 ? String(fields[5...].joined(separator: " ")) : "[anonymous]"
                current = current.split(separator: "/").last.map(String.init) ?? current
            } else if fields.first == "Rss:", fields.count >= 2, let value = Int(fields[1]) {
                totals[current, default: 0] += value
            }
        }
        let top = totals.sorted { $0.value > $1.value }.prefix(5)
        return Dictionary(uniqueKeysWithValues: top.map { ($0.key, (Double($0.value) / 1_024 * 10).rounded() / 10) })
    }

    /// The local ports of every TCP and UDP socket `pid` holds.
    static func localPorts(pid: Int32) throws -> [Int] {
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        var inodes = Set<String>()
        for fd in fds {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        var ports = Set<Int>()
        for table in ["tcp", "tcp6", "udp", "udp6"] {
            let text = readProcFile("/proc/\(pid)/net/\(table)")
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, inodes.contains(String(fields[9])),
                    let colon = fields[1].lastIndex(of: ":"),
                    let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16), port > 0
                else { continue }
                ports.insert(port)
            }
        }
        return Array(ports)
    }

    /// A /proc file read to its end (they report size 0, so readers that trust the size stop early).
    static func readProcFile(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Packets in the capture file (one line each from `tcpdump -r`), and how many of them are UDP (the DHT).
    static func countPackets(tcpdump: String, capture: String) throws -> (all: Int, udp: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tcpdump)
        process.arguments = ["-r", capture, "-nn", "-q"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        return (lines.count, lines.filter { $0.contains(": UDP") }.count)
    }
}
