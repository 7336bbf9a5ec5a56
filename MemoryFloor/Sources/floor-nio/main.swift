// One NIO event-loop group (a thread per core, as the node has) and one bound UDP socket, then idle: a DHT node's
// network layer with nothing in it.
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let channel = try DatagramBootstrap(group: group)
    .channelInitializer { _ in group.any().makeSucceededVoidFuture() }
    .bind(host: "127.0.0.1", port: 0).wait()
print("READY pid=\(getpid()) udp=\(channel.localAddress!)")
fflush(nil)
try channel.closeFuture.wait()
