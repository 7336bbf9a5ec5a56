import CLISupport
import Foundation

/// A binary that ships beside `meshpeer` and runs part of it in a process of its own (`meshpeer-mcp`,
/// `meshpeer-dht`), so that what only that part needs stays out of every other process, or what every other process
/// needs stays out of it.
enum SiblingExecutable {
    /// `name` beside the running `meshpeer` (symbolic links resolved), else nil.
    static func path(named name: String) -> String? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let sibling = executable.deletingLastPathComponent().appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil
    }

    /// Replaces this process with `path` run as `argv` (same process id, standard streams and environment); only
    /// returns, by throwing, when the exec failed.
    static func exec(_ path: String, argv: [String]) throws -> Never {
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(path, &pointers)
        let reason = String(cString: strerror(errno))
        for pointer in pointers { free(pointer) }
        throw CLIError("cannot run \(path): \(reason)")
    }

    /// `meshpeer dht serve …` becomes `meshpeer-dht serve …` when that binary is beside this one: a serving DHT node
    /// then holds only the DHT's code, statically linked (about 15 MB less resident memory; docs/node.md,
    /// "Resident memory"). Called before anything else in `main`, so that the exec'd process starts as this one
    /// would have (`ParentWatch`'s variable still set). Without the sibling, or when the exec fails, the node runs in
    /// this process, as before, and says so on standard error.
    static func handOffDHTServe(arguments: [String] = CommandLine.arguments) {
        guard arguments.count >= 3, arguments[1] == "dht", arguments[2] == "serve" else { return }
        let note: String
        if let path = path(named: "meshpeer-dht") {
            do {
                try exec(path, argv: ["meshpeer-dht"] + arguments.dropFirst(2))
            } catch {
                note = "\(error); serving in this process instead"
            }
        } else {
            note =
                "meshpeer-dht is not beside this meshpeer (`swift build --product meshpeer-dht`); serving in "
                + "this process instead, which takes more memory"
        }
        FileHandle.standardError.write(Data("meshpeer: note: \(note)\n".utf8))
    }
}
