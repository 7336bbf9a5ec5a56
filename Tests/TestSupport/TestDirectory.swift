import Foundation

/// Temporary directories for one test process, all under one root that is removed when the process exits, so that
/// test runs stop leaving databases and key files in /tmp (hundreds of `ledger-…` and `indexer-…` folders
/// accumulated here before). A test that crashes the process leaves its root behind, named after the process.
public enum TestDirectory {
    /// A new, empty directory whose name starts with `prefix`.
    public static func make(_ prefix: String) -> URL {
        let directory = URL(fileURLWithPath: root).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            fatalError("cannot create the test directory \(directory.path): \(error)")
        }
        return directory
    }

    /// `meshpeer-tests-<pid>` in the system's temporary directory, created and scheduled for removal on first use.
    static let root: String = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-tests-\(getpid())").path
        // Best effort: at exit there is no one left to report a failure to.
        atexit { try? FileManager.default.removeItem(atPath: TestDirectory.root) }
        return root
    }()
}
