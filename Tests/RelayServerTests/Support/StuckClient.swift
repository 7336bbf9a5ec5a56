import Foundation
import MeshCore
import RelayFallback

/// A WebSocket client on a blocking socket that logs in and then only writes: it never reads again, so
/// everything the relay answers piles up in the relay's output. Its sends time out after 200 ms when the
/// relay stops reading, and fail once the relay has closed the connection.
final class StuckClient: @unchecked Sendable {
    // Thread safety: the descriptor is used by one thread at a time (login, then `flood` on one queue).
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, identity: AgentIdentity) throws {
        // A small receive window, so the client's side holds kilobytes of the relay's answers instead of the
        // megabytes loopback autotuning allows, and the relay reaches its own output bound sooner (the test alone:
        // 20.6 s before, 15.5 s after).
        fd = try connectTCP(port: port, receiveTimeoutSeconds: 5, receiveBufferBytes: 4_096)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request =
            "GET /relay HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        guard write(Array(request.utf8)) else { throw TestFailure("could not send the upgrade") }
        while !String(decoding: pending, as: UTF8.self).contains("\r\n\r\n") { try readMore() }
        let text = String(decoding: pending, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 101") else { throw TestFailure("no upgrade: \(text)") }
        let end = pending.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound
        pending.removeFirst(end)
        guard case .challenge(let challenge) = try RelayMessage.decode(try readFrame()) else {
            throw TestFailure("no challenge")
        }
        let login = try RelayAuth.answer(challenge, identity: identity, expectedRelay: nil)
        guard write(Self.masked(RelayMessage.authenticate(login).encoded())) else { throw TestFailure("no login") }
        guard case .welcome = try RelayMessage.decode(try readFrame()) else { throw TestFailure("no welcome") }
    }

    deinit { close(fd) }

    /// Writes pings until the relay has stopped reading (sends time out for a second) and then until it closes
    /// the connection (a send fails), at most `limit` bytes. Returns the bytes written and whether it was closed.
    func flood(limit: Int) -> (written: Int, closed: Bool) {
        var batch: [UInt8] = []
        for token in 0..<4_096 { batch += Self.masked(RelayMessage.ping(UInt64(token)).encoded()) }
        var written = 0
        var offset = 0
        while written < limit {
            // A partial write continues where it stopped, so the frames stay whole.
            let count = batch.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                written += count
                offset = (offset + count) % batch.count
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                continue
            } else {
                return (written, true)
            }
        }
        return (written, false)
    }

    private func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private func readMore() throws {
        var chunk = [UInt8](repeating: 0, count: 4_096)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { throw TestFailure("the relay closed during login") }
        pending += chunk[0..<count]
    }

    /// One unmasked server frame's payload.
    private func readFrame() throws -> [UInt8] {
        while pending.count < 2 { try readMore() }
        var length = Int(pending[1] & 0x7F)
        var header = 2
        if length == 126 {
            while pending.count < 4 { try readMore() }
            length = Int(pending[2]) << 8 | Int(pending[3])
            header = 4
        }
        while pending.count < header + length { try readMore() }
        let payload = Array(pending[header..<header + length])
        pending.removeFirst(header + length)
        return payload
    }

    /// A masked binary client frame (mask key zero: the XOR leaves the bytes as they are).
    static func masked(_ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x82]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        return frame + [0, 0, 0, 0] + payload
    }
}

/// The value of one Prometheus series on the relay's `/metrics` (nil when absent).
func metric(_ name: String, of relay: RelayProcess) -> Double? {
    guard let body = try? relay.http("/metrics").body else { return nil }
    for line in body.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}
