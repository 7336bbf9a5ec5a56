// MeshPeer's DHT node alone: the UDP driver, the Kademlia core and its SQLite record store (through GRDB), with no
// CLI, node, relay or indexer linked in; joined through argv[2] if given. What a DHT-only program would cost, to
// set beside `meshpeer dht serve` (the whole `meshpeer` binary) and the Python kademlia node of the DHT race.
import Kademlia
import KademliaDriver
import KademliaStore
import MeshCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
var random = SystemRandom()
let key = Ed25519.PrivateKey(using: &random)
let config = KademliaConfig()
let store = try SQLiteRecordStore(path: CommandLine.arguments[1], config: config)
let driver = try await KademliaUDPDriver.start(
    listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
    group: group,
    makeCore: { now in
        KademliaNode(signingKey: key, config: config, store: store, random: SystemRandom(), now: now)
    }
)
if CommandLine.arguments.count > 2 {
    let seed = try TransportAddress.resolve(CommandLine.arguments[2])
    try await driver.perform { core, now in core.bootstrap(from: [seed], now: now) }
}
print("READY pid=\(getpid()) port=\(driver.localAddresses.first?.port ?? 0)")
fflush(nil)
while true { try await Task.sleep(for: .seconds(3_600)) }
