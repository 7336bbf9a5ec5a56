import Foundation
import MeshPeer
import Testing

/// docs/openapi.yaml against the real HTTP layer over the fake node, with schemathesis (PyPI). Runs only when
/// MESHPEER_SCHEMATHESIS_PYTHON names a Python that has schemathesis (scripts/test.d/60-api-schemathesis.sh sets
/// it up, then runs the same check against a real `meshpeer run` node).
@Suite struct SchemathesisTests {
    static let python = ProcessInfo.processInfo.environment["MESHPEER_SCHEMATHESIS_PYTHON"]
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.enabled(if: python != nil, "set MESHPEER_SCHEMATHESIS_PYTHON to a Python with schemathesis"))
    func theServerKeepsItsOpenAPIContract() async throws {
        let status = try await APIHarness.with { api in
            // Something in every list, so the responses' item schemas are checked too.
            for text in ["one", "two"] { await api.node.receive(body: .object(["text": .string(text)])) }
            _ = await api.node.holdIncomingKnock()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.python ?? "python3")
            process.arguments = [
                Self.root.appendingPathComponent("scripts/lib/schemathesis-run.py").path,
                "--url", api.url, "--token-file", api.directory + "/api-token", "--max-examples", "50",
            ]
            return try await Self.run(process)
        }
        #expect(status == 0, "schemathesis found responses that break docs/openapi.yaml (see its output above)")
    }

    /// Runs `process` to its end without blocking a concurrency thread.
    static func run(_ process: Process) async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }
}
