import Foundation
import Testing

/// The lab's key derivation (fixed lab Ed25519 keys, a direct-channel secret hashed from the ICE credentials) lives
/// in `meshlab` only. These checks read the built binaries, so a later change that links it back into `meshpeer`
/// fails here rather than in a review (issue 12).
@Suite struct LabBinaryTests {
    let cli = CLITests()

    /// Constants only the lab derivation uses: its HKDF-style label and the seeds of the two fixed lab keys.
    static let labMarkers = ["meshpeer/v1/lab-direct", "lab initiator", "lab responder"]

    static var meshlab: URL { CLITests.binary.deletingLastPathComponent().appendingPathComponent("meshlab") }

    /// Whether `needle` occurs anywhere in the file's bytes. The binaries are ~100 MiB, so candidates are found with
    /// memchr and checked with memcmp rather than byte by byte in a debug build.
    static func contains(_ file: URL, _ needle: String) throws -> Bool {
        let data = try Data(contentsOf: file, options: .alwaysMapped)
        let pattern = Array(needle.utf8)
        return data.withUnsafeBytes { haystack in
            pattern.withUnsafeBytes { wanted in
                guard let base = haystack.baseAddress, let target = wanted.baseAddress, let first = pattern.first,
                    haystack.count >= pattern.count
                else { return false }
                let last = haystack.count - pattern.count
                var offset = 0
                while offset <= last, let hit = memchr(base + offset, Int32(first), last - offset + 1) {
                    if memcmp(hit, target, pattern.count) == 0 { return true }
                    offset = UnsafeMutableRawPointer(mutating: base).distance(to: hit) + 1
                }
                return false
            }
        }
    }

    @Test func theProductBinaryCarriesNoLabKeyDerivation() throws {
        for marker in Self.labMarkers {
            #expect(try !Self.contains(CLITests.binary, marker), "meshpeer contains \"\(marker)\"")
            // The control: the same search finds it in the lab binary, so a miss above is not a broken search.
            #expect(try Self.contains(Self.meshlab, marker), "meshlab lacks \"\(marker)\"")
        }
    }

    @Test func theProductHasNoICEConnectCommandEvenHidden() throws {
        let help = try cli.run(["--help-hidden"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("nat-check"), "\(help.stdout)")
        #expect(!help.stdout.contains("ice-connect"), "\(help.stdout)")
        // Were it still a (hidden) subcommand, this would ask for its missing --role instead.
        let refused = try cli.run(["ice-connect"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("Unexpected argument 'ice-connect'"), "\(refused.stderr)")
    }

    @Test func theLabBinaryRunsICEConnect() throws {
        let (status, text) = try Self.output(of: Self.meshlab, ["ice-connect", "--help"])
        #expect(status == 0)
        #expect(text.contains("--transfer-bytes"), "\(text)")
    }

    /// Runs `executable` with `arguments` and returns its exit status and standard output (standard error dropped).
    static func output(of executable: URL, _ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
