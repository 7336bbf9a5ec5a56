import Foundation

/// A child `ChildProcess` started stops when its parent dies, however the parent dies.
///
/// `meshpeer devnet` and `meshbench` stop their relays and nodes on SIGINT and SIGTERM (`ChildProcess.terminateAll`),
/// but a parent killed with SIGKILL, or crashed, stopped nothing: its children ran on, holding ports and data
/// directories. `PR_SET_PDEATHSIG` is no answer here: it fires when the *thread* that spawned the child exits, and
/// the child is spawned from whatever concurrency-pool thread ran `Process.run`, which the pool may retire.
///
/// So `ChildProcess` gives each child a pipe as its standard input, keeps the write end and never writes to it, and
/// sets `environmentKey`. The kernel closes the write end when the parent's process ends, for any reason, and the
/// child's read sees end of file. The child (`meshpeer` and `meshbench`, from `startIfAsked` in their `main`) then
/// raises SIGTERM on itself, so every command stops the way it stops on a SIGTERM from outside: a node drains and
/// closes its database, a relay flushes its store.
///
/// Opt-in through the environment, so a node started by an operator (whose standard input may be `/dev/null`, at end
/// of file from the start) is never affected; and the variable is removed at once, so a grandchild that inherits the
/// environment (a DHT race peer reading commands on its stdin) is not affected either.
public enum ParentWatch {
    /// Set to `stdin` in a child's environment by `ChildProcess`.
    public static let environmentKey = "MESHPEER_EXIT_WITH_PARENT"
    public static let environmentValue = "stdin"

    /// Starts watching standard input if this process's parent asked for it; returns whether it did.
    @discardableResult
    public static func startIfAsked() -> Bool {
        guard let value = getenv(environmentKey), String(cString: value) == environmentValue else { return false }
        unsetenv(environmentKey)
        let thread = Thread {
            var byte: UInt8 = 0
            // The parent never writes; anything it does write is ignored. Bounded: each pass either reads a byte
            // the parent wrote, is interrupted, or ends the loop.
            while true {
                let count = read(STDIN_FILENO, &byte, 1)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
            }
            kill(getpid(), SIGTERM)
        }
        thread.name = "parent-watch"
        thread.stackSize = 64 * 1_024
        thread.start()
        return true
    }
}
