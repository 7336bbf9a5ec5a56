#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking UDP socket on 127.0.0.1, straight on the system calls.
///
/// The benchmarks use raw sockets on purpose: they measure the protocol cores and the kernel's loopback, with no
/// event-loop machinery in between, and both the protocol run and its baseline go through this same code.
/// It is not the product's socket adapter (`ICEDriver.UDPSocket`, SwiftNIO) and cannot be: the bench drives two
/// cores from one thread with poll(2) and needs a one-`sendto`-per-datagram baseline that NIO does not offer
/// (docs/direct-path.md, "Why the bench has its own socket").
final class BenchUDPSocket {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            throw BenchError("bind() failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
        var size: Int32 = 4 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(descriptor) }

    /// False when the socket buffer is full (the datagram was not sent).
    @discardableResult
    func send(_ bytes: [UInt8], toPort port: UInt16) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == bytes.count
    }

    /// One datagram, or nil when none is waiting.
    func receive(into buffer: inout [UInt8]) -> [UInt8]? {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return Array(buffer.prefix(count))
    }

    /// Blocks until either socket is readable or `timeout` passes. poll(2) counts whole milliseconds and a pacer's
    /// gaps on loopback are microseconds, so a shorter wait only checks the sockets and returns.
    static func wait(_ sockets: [BenchUDPSocket], timeout: Duration) {
        var fds = sockets.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        let milliseconds = timeout < .milliseconds(1) ? 0 : Int32(timeout.milliseconds)
        _ = poll(&fds, nfds_t(fds.count), milliseconds)
    }
}
