import Foundation
import MeshNode

/// The servers a benchmark starts (a relay, the baseline forwarder), as MeshNode's `ChildProcess`es: ready on their
/// first JSON line naming `"port"`, always stopped.
enum BenchProcess {
    /// An executable built beside this one (`swift build -c release` builds both).
    static func sibling(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchError("\(url.path) is missing: run `swift build -c release` first")
        }
        return url.path
    }

    /// Starts `executable` and waits (at most 60 s) for its line with `"port"`; runs `body` with the process and
    /// its port, then stops it (also when `body` throws).
    static func withServer<T: Sendable>(
        _ name: String,
        executable: String,
        arguments: [String],
        logDirectory: String,
        _ body: (ChildProcess, Int) async throws -> T
    ) async throws -> T {
        let process = try ChildProcess(
            name: name,
            executable: executable,
            arguments: arguments,
            logPath: logDirectory + "/\(name)-\(UUID().uuidString).log"
        )
        do {
            let line = try await process.waitForLine(timeout: .seconds(60)) { $0.contains("\"port\"") }
            guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let port = json["port"] as? Int
            else { throw BenchError("unexpected output from \(name): \(line)") }
            let result = try await body(process, port)
            await process.stop()
            return result
        } catch {
            await process.stop()
            throw error
        }
    }

    /// Peak and current resident memory of `pid` in KiB (from /proc).
    static func memoryKiB(pid: Int32) -> (peak: Int, current: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return (field("VmHWM"), field("VmRSS"))
    }
}
