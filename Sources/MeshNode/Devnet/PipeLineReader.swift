import Foundation

/// Reads a child's output pipe on a thread of its own with blocking reads, and splits it into lines.
///
/// Not `FileHandle.readabilityHandler`: that arms a libdispatch read source on the descriptor, and on Linux tearing
/// such sources down while others are being set up corrupts libdispatch's epoll bookkeeping (a use-after-free of a
/// muxnote, swift-corelibs-libdispatch issue 949). `meshbench dht-net`, which reads 200 children's pipes, crashed
/// that way in `_dispatch_event_loop_drain` (on this machine on December 5 and in CI on December 6). A blocking read
/// never registers the descriptor with libdispatch. It costs a thread per child, blocked in `read`.
public enum PipeLineReader {
    /// A line longer than this is delivered in pieces of this size (a child cannot grow the buffer without bound).
    public static let maximumLineBytes = 1 << 20

    /// Reads `handle` until end of file or a read error. `chunk` gets every byte read (for a log), `lines` the
    /// complete lines (without their newline) with the instant their read returned, and `end` runs once, last.
    /// Start it after the child is running: a pipe whose child never started would never reach end of file.
    public static func start(
        _ handle: FileHandle,
        name: String,
        chunk: @escaping @Sendable ([UInt8]) -> Void = { _ in },
        lines: @escaping @Sendable ([String], ContinuousClock.Instant) -> Void,
        end: @escaping @Sendable () -> Void = {}
    ) {
        let thread = Thread {
            let descriptor = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var pending: [UInt8] = []
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                let now = ContinuousClock.now
                let bytes = Array(buffer[..<count])
                chunk(bytes)
                pending += bytes
                let complete = split(&pending)
                if !complete.isEmpty { lines(complete, now) }
            }
            withExtendedLifetime(handle) {}
            end()
        }
        thread.name = name
        thread.stackSize = 512 * 1_024
        thread.start()
    }

    /// Removes the complete lines from the front of `pending` and returns them; a run of `maximumLineBytes` without
    /// a newline counts as a line.
    static func split(_ pending: inout [UInt8]) -> [String] {
        var found: [String] = []
        var start = 0
        while start < pending.count {
            let limit = min(pending.count, start + maximumLineBytes)
            if let newline = pending[start..<limit].firstIndex(of: UInt8(ascii: "\n")) {
                found.append(String(decoding: pending[start..<newline], as: UTF8.self))
                start = newline + 1
            } else if limit - start == maximumLineBytes {
                found.append(String(decoding: pending[start..<limit], as: UTF8.self))
                start = limit
            } else {
                break
            }
        }
        pending.removeSubrange(..<start)
        return found
    }
}
