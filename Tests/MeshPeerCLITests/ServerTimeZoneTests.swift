import Foundation
import TestSupport
import Testing

/// `meshpeer run` keeps its time zone at GMT (`ServerTimeZone`), so Hummingbird's date cache does not resolve the
/// machine's zone through ICU's data. Read from the running node's own page tables: with the change undone, 2.7 MB
/// of ICU's code was resident in an idle node, against about 1 MB with it (docs/node.md, "Resident memory").
@Suite struct ServerTimeZoneTests {
    let cli = CLITests()

    /// A file of `/proc` read to its end (`String(contentsOfFile:)` trusts the size `stat` reports, 0 there, and
    /// stops after one read).
    static func procFile(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    /// Resident KiB of the executable mappings of `library` in process `pid` (`/proc/PID/smaps`).
    static func residentCode(of library: String, pid: Int32) throws -> Int {
        let smaps = try procFile("/proc/\(pid)/smaps")
        var inLibraryCode = false
        var kibibytes = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), fields.count >= 5, range.first?.isHexDigit == true {
                inLibraryCode = fields.count >= 6 && fields[1] == "r-xp" && fields[5].hasSuffix("/" + library)
            } else if inLibraryCode, fields.first == "Rss:", fields.count >= 2, let value = Int(fields[1]) {
                kibibytes += value
            }
        }
        return kibibytes
    }

    @Test func aRunningNodeLeavesICUsZoneDataAlone() async throws {
        let cli = cli
        let (initStatus, mapped, resident) = try await offThePool { () throws -> (Int32, Bool, Int) in
            let home = cli.temporaryHome()
            defer { try? FileManager.default.removeItem(atPath: home) }
            let initStatus = try cli.run(["init", "--home", home]).status
            let node = try ServeProcess(["run", "--home", home, "--listen", "127.0.0.1:0", "--json"])
            defer { node.stop() }
            // The API is bound once this line is out, and Hummingbird built its date cache before binding.
            _ = try node.waitForLine(containing: "\"api\"")
            let pid = node.process.processIdentifier
            let maps = try Self.procFile("/proc/\(pid)/maps")
            let resident = try Self.residentCode(of: "lib_FoundationICU.so", pid: pid)
            return (initStatus, maps.contains("lib_FoundationICU.so"), resident)
        }
        #expect(initStatus == 0)
        // The control: ICU is linked and mapped, so a small figure below is not a library that was never there.
        #expect(mapped, "lib_FoundationICU.so is not mapped in the node")
        #expect(resident > 0)
        #expect(resident < 1_800, "\(resident) KiB of ICU's code resident in an idle node")
    }
}
