import Foundation
import Logging

/// The relay needs one file descriptor per connection, plus a few for its databases, DHT sockets and listeners.
/// Many systems start a process with a soft limit of 1,024 (and systemd services with 1,024 unless `LimitNOFILE`
/// says otherwise), which stops a relay far below its default 4,096 connections. At start the relay raises its
/// soft limit (up to the hard limit, which an unprivileged process cannot pass) to what `maximumConnections`
/// needs, and says what it did, or why it could not, with the numbers.
enum OpenFileLimit {
    /// Descriptors besides connections: SQLite (database, WAL, shared memory, for the relay and the DHT), the
    /// listeners, the DHT's UDP sockets, the event loop's own (epoll, eventfd, timerfd), stdio, and slack.
    static let overhead = 64

    struct Outcome: Equatable {
        var before: UInt64
        var after: UInt64
        var hard: UInt64
        var needed: UInt64
        var error: Int32?
    }

    /// Raises RLIMIT_NOFILE's soft limit towards `connections + overhead` and logs the outcome.
    @discardableResult
    static func raise(forConnections connections: Int, logger: Logger) -> Outcome {
        let needed = UInt64(max(0, connections) + overhead)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            let error = errno
            logger.warning(
                "cannot read the open-file limit",
                metadata: ["errno": "\(error)", "needed": "\(needed)"]
            )
            return Outcome(before: 0, after: 0, hard: 0, needed: needed, error: error)
        }
        let before = UInt64(limit.rlim_cur)
        let hard = UInt64(limit.rlim_max)
        var outcome = Outcome(before: before, after: before, hard: hard, needed: needed, error: nil)
        let metadata: Logger.Metadata = [
            "soft": "\(before)", "hard": "\(hard)", "needed": "\(needed)", "maximumConnections": "\(connections)",
        ]
        if before >= needed {
            logger.info("open-file limit is enough", metadata: metadata)
            return outcome
        }
        let target = min(needed, hard)
        if target > before {
            limit.rlim_cur = rlim_t(target)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
                outcome.error = errno
                logger.warning(
                    "cannot raise the open-file limit; the relay will refuse connections beyond it",
                    metadata: metadata.merging(["errno": "\(errno)"]) { _, new in new }
                )
                return outcome
            }
            outcome.after = target
        }
        var raised = metadata
        raised["soft"] = "\(outcome.after)"
        raised["was"] = "\(before)"
        if outcome.after < needed {
            logger.warning(
                """
                open-file limit below what maximumConnections needs, and the hard limit allows no more: raise the \
                hard limit (LimitNOFILE= in the systemd unit, or ulimit -Hn) or lower maximumConnections
                """,
                metadata: raised
            )
        } else {
            logger.info("open-file limit raised", metadata: raised)
        }
        return outcome
    }
}
