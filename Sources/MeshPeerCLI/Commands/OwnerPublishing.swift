import ArgumentParser
import CLISupport
import DHTCLI
import Foundation
import Kademlia
import KademliaDriver
import MeshCore
import MeshNode
import MeshPeer
import NIOCore

/// Where the owner's revocation list goes (decision 0100): a one-shot DHT client with a throwaway node key, like
/// the other one-shot `dht` commands. Publishing happens only when a bootstrap node is named, so `revoke` still
/// works offline (the agent then carries the revocation in its record alone).
struct OwnerDHTOptions: ParsableArguments {
    @Option(name: .long, help: "host:port of a DHT node to publish the owner's revocation list through (repeatable).")
    var bootstrap: [String] = []

    @Option(name: .long, help: "A bootstrap-nodes.json file to publish through.")
    var bootstrapFile: String?

    @Option(name: .long, help: "Seconds to wait for the DHT.")
    var timeout = 10

    var wantsPublish: Bool { !bootstrap.isEmpty || bootstrapFile != nil }

    func seeds() throws -> [TransportAddress] {
        var addresses = try bootstrap.map { try TransportAddress.resolve($0) }
        if let bootstrapFile {
            let (resolved, failures) = try BootstrapList.load(path: bootstrapFile).resolved()
            for failure in failures { FileHandle.standardError.write(Data("meshpeer: warning: \(failure)\n".utf8)) }
            addresses += resolved
        }
        return addresses
    }
}

/// Signs the owner's list (its newest 16 revocations, from `<owner home>/owner-revocations`) and stores it on the
/// k closest DHT nodes. Returns the record and how many nodes accepted it.
enum OwnerPublishing {
    static func publish(
        _ revocations: [OwnerRevocation],
        key: Ed25519.PrivateKey,
        options: OwnerDHTOptions
    ) throws -> (record: OwnerRevocationRecord, accepted: Int) {
        let now = SystemClock().now()
        let record = try OwnerRevocationRecord.publishing(
            revocations,
            by: key,
            sequence: UInt64(max(0, now.millisecondsSinceEpoch)),
            now: now
        )
        let seeds = try options.seeds()
        guard !seeds.isEmpty else { throw CLIError("no bootstrap node to publish through (use --bootstrap host:port)") }
        let accepted = LockedValue(0)
        let timeout = Duration.seconds(max(1, options.timeout))
        // Read-only: a client that leaves at once must not enter other nodes' tables (its dead address would then
        // hold up their lookups until it is evicted).
        var clientConfig = KademliaConfig()
        clientConfig.readOnly = true
        clientConfig.lookupTimeout = timeout
        let config = clientConfig
        try DHTSupport.block {
            let session = try await DHTSession.start(
                key: Ed25519.PrivateKey(),
                listen: [try SocketAddress(ipAddress: "0.0.0.0", port: 0)],
                seeds: seeds,
                storePath: nil,
                config: config,
                json: true,
                events: false
            )
            do {
                try await session.waitForContacts(timeout: timeout)
                let result = try await session.node.publish { core, now in
                    try core.publish(record.envelope, key: record.key, now: now)
                }
                accepted.withLock { $0 = result?.accepted ?? 0 }
            } catch {
                await session.close()
                throw error
            }
            await session.close()
        }
        let count = accepted.withLock { $0 }
        guard count > 0 else { throw CLIError("no DHT node accepted the owner's revocation list") }
        return (record, count)
    }
}
