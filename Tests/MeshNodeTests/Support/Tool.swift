import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a command-line tool to its end with posix_spawn and waitpid: Foundation's `Process.waitUntilExit` spins a
/// run loop that can stall inside Swift concurrency's cooperative pool. Its output goes to /dev/null.
enum Tool {
    static func run(_ path: String, _ arguments: [String]) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else {
            throw TestFailure("could not start \(path)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            throw TestFailure("\(path) \(arguments.joined(separator: " ")) exited with status \(status)")
        }
    }
}
