// floor-nio plus a GRDB DatabasePool (WAL) on a file, one table and one row: what a node that keeps SQLite costs
// before its own code (GRDB imports Foundation, so Foundation and ICU are loaded here).
import GRDB
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let channel = try DatagramBootstrap(group: group)
    .channelInitializer { _ in group.any().makeSucceededVoidFuture() }
    .bind(host: "127.0.0.1", port: 0).wait()
let pool = try DatabasePool(path: CommandLine.arguments[1])
try pool.write { db in
    try db.execute(sql: "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: ["hello"])
}
let mode = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?" }
print("READY pid=\(getpid()) udp=\(channel.localAddress!) journal=\(mode)")
fflush(nil)
try channel.closeFuture.wait()
