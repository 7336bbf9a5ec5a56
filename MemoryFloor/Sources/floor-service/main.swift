// floor-nio-grdb plus a Hummingbird server with one route, run in a swift-service-lifecycle ServiceGroup on the
// shared event-loop group: the skeleton of `meshpeer run` (DHT socket, SQLite, local HTTP API, lifecycle) with
// none of its logic. scripts/memory-floor asks the route once before it measures.
import GRDB
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let channel = try await DatagramBootstrap(group: group)
    .channelInitializer { _ in group.any().makeSucceededVoidFuture() }
    .bind(host: "127.0.0.1", port: 0).get()
let pool = try DatabasePool(path: CommandLine.arguments[1])
try await pool.write { db in
    try db.execute(sql: "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: ["hello"])
}
var logger = Logger(label: "floor-service")
logger.logLevel = .warning
let router = Router()
router.get("/hello") { _, _ -> String in
    let rows = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") ?? 0 }
    return "hello rows=\(rows)\n"
}
let udp = "\(channel.localAddress!)"
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { server in
        print("READY pid=\(getpid()) udp=\(udp) http=\(server.localAddress!.port!)")
        fflush(nil)
    },
    eventLoopGroupProvider: .shared(group),
    logger: logger
)
let services = ServiceGroup(
    configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
)
try await services.run()
try await channel.close()
try await group.shutdownGracefully()
