import Foundation

/// The Python side's environment: a virtualenv with bmuller's `kademlia` package, made on first use.
///
/// It lives under `.build/` (default `.build/dht-race-venv`), so `swift package clean` removes it with everything
/// else built here. Making it needs `python3` with its `venv` module (Debian: `python3-venv`) and the package index.
enum RaceVenv {
    /// The repository root: the nearest directory above this executable (or the working directory) holding
    /// `Package.swift`, so `.build/release/meshbench` finds the scripts wherever it is started from.
    static func repositoryRoot() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for start in [
            executable.deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        ] {
            var directory = start
            for _ in 0..<8 {
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                    return directory.path
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return FileManager.default.currentDirectoryPath
    }

    /// Returns the venv's python, creating the venv and installing `kademlia` into it when missing.
    static func ensure(at venv: String) async throws -> String {
        let python = venv + "/bin/python"
        if !FileManager.default.isExecutableFile(atPath: python) {
            progress("creating \(venv)")
            try await runTool(
                "/usr/bin/env",
                ["python3", "-m", "venv", venv],
                timeout: .seconds(180),
                what: "python3 -m venv"
            )
        }
        if try await !succeeds(python, ["-c", "import kademlia.network"]) {
            progress("installing kademlia into \(venv)")
            try await runTool(
                venv + "/bin/pip",
                ["install", "--quiet", "kademlia"],
                timeout: .seconds(600),
                what: "pip install kademlia"
            )
        }
        return python
    }

    static func progress(_ message: String) {
        FileHandle.standardError.write(Data("meshbench dht-net: \(message)\n".utf8))
    }

    static func succeeds(_ executable: String, _ arguments: [String]) async throws -> Bool {
        (try? await runTool(executable, arguments, timeout: .seconds(60), what: executable, quiet: true)) != nil
    }

    /// Runs a tool to completion (bounded); its output goes to our stderr unless `quiet`.
    static func runTool(
        _ executable: String,
        _ arguments: [String],
        timeout: Duration,
        what: String,
        quiet: Bool = false
    ) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = quiet ? FileHandle.nullDevice : FileHandle.standardError
        process.standardError = quiet ? FileHandle.nullDevice : FileHandle.standardError
        do { try process.run() } catch { throw BenchError("\(what): cannot start \(executable): \(error)") }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            throw BenchError("\(what): still running after \(timeout), stopped")
        }
        guard process.terminationStatus == 0 else {
            throw BenchError("\(what) failed (status \(process.terminationStatus)); on Debian, python3-venv is needed")
        }
    }
}
