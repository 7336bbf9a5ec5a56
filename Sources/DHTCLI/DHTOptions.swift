import ArgumentParser
import Foundation
import Kademlia
import KademliaDriver
import MeshCore

/// Options every `dht` verb shares.
public struct DHTOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .long, help: "host:port to bind (repeat for IPv4 and IPv6; default both families; port 0 picks one).")
    public var listen: [String] = []

    @Option(name: .long, help: "host:port of a node to join through (repeatable).")
    public var bootstrap: [String] = []

    @Option(name: .long, help: "A bootstrap-nodes.json file (default: <home>/bootstrap-nodes.json if present).")
    public var bootstrapFile: String?

    @Flag(name: .long, help: "Use a throwaway key instead of the agent's identity.")
    public var ephemeral = false

    @Option(name: .long, help: "Lifetime of records this node publishes, in seconds.")
    public var recordTTL: Int = 1_800

    @Option(name: .long, help: "Seconds between re-publishes of this node's records (default: a third of the TTL).")
    public var republish: Int?

    @Option(name: .long, help: "SQLite file for records and the routing-table snapshot (default: <home>/dht.sqlite).")
    public var store: String?

    @Option(name: .long, help: "Seconds to wait for an answer.")
    public var timeout: Int = 10

    @Flag(name: .long, help: "Print JSON instead of text.")
    public var json = false

    /// Hidden: below the default it gives up the replay defence (decisions 0105/0106), which only a measurement
    /// should do (`meshbench dht-net --ours-value-quorum`, to show what that defence costs a lookup).
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Share (0-1) of the k closest nodes a value lookup hears before it keeps the newest record; 0 keeps the "
                + "first record found, without the replay defence. For measurements.",
            visibility: .hidden
        )
    )
    public var valueLookupQuorum = KademliaConfig().valueLookupQuorum

    /// Hidden, like the quorum: requests a lookup keeps in flight, ten by default (decision 0113), which only a
    /// measurement should change (`meshbench dht-net --ours-alpha`, set beside a peer that asks three).
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Requests a lookup keeps in flight (alpha, 1-20). For measurements.",
            visibility: .hidden
        )
    )
    public var lookupParallelism = KademliaConfig().alpha

    /// Hidden as well: without pair tags (decision 0124) the node signs and verifies every datagram, as before
    /// them, which only a measurement should ask for (`meshbench dht-net --ours-no-pair-tags`, to show what tags
    /// save).
    @Flag(
        name: .long,
        help: ArgumentHelp("Sign every datagram instead of using pair tags. For measurements.", visibility: .hidden)
    )
    public var noPairTags = false

    /// Set by the look-up verbs: a short-lived client should not enter other nodes' tables.
    public var readOnly = false

    enum CodingKeys: String, CodingKey {
        case listen, bootstrap, bootstrapFile, ephemeral, recordTTL, republish, store, timeout, json
        case valueLookupQuorum, lookupParallelism, noPairTags
    }

    public func validate() throws {
        guard (0...1).contains(valueLookupQuorum) else {
            throw ValidationError("--value-lookup-quorum must be between 0 and 1, not \(valueLookupQuorum)")
        }
        let k = KademliaConfig().k
        guard (1...k).contains(lookupParallelism) else {
            throw ValidationError("--lookup-parallelism must be between 1 and \(k), not \(lookupParallelism)")
        }
    }

    public var config: KademliaConfig {
        var config = KademliaConfig()
        config.recordTTL = .seconds(max(1, recordTTL))
        config.republishInterval = .seconds(max(1, republish ?? max(1, recordTTL / 3)))
        config.expirySweepInterval = .seconds(max(1, min(30, recordTTL / 4)))
        config.lookupTimeout = .seconds(max(1, timeout))
        config.readOnly = readOnly
        config.valueLookupQuorum = valueLookupQuorum
        config.alpha = lookupParallelism
        config.pairTags = !noPairTags
        return config
    }

    /// `--listen`, or the command's default. A default IPv4 wildcard (`0.0.0.0:PORT`) gets its IPv6 twin
    /// (`[::]:PORT`): nodes listen on both families unless told otherwise, and on a host without IPv6 the driver
    /// keeps the IPv4 socket and reports the other (`unavailableListen`; decision 0099). `--listen` is exact.
    public func listenAddresses(default fallback: String) throws -> [String] {
        guard listen.isEmpty else { return listen }
        guard fallback.hasPrefix("0.0.0.0:") else { return [fallback] }
        return [fallback, "[::]:" + fallback.dropFirst("0.0.0.0:".count)]
    }

    /// Flags first, then the bootstrap list (`--bootstrap-file`, else `<home>/bootstrap-nodes.json`, else the
    /// built-in list when no flag names a seed and the node is not on loopback only); names that do not resolve
    /// are reported, not fatal.
    public func bootstrapAddresses(home: String, listen: [String]) throws -> [TransportAddress] {
        var addresses = try bootstrap.map { try TransportAddress.resolve($0) }
        if let (list, _) = try BootstrapList.standard(
            file: bootstrapFile,
            home: home,
            explicitSeeds: !bootstrap.isEmpty,
            listen: listen
        ) {
            let (resolved, failures) = list.resolved()
            for failure in failures { FileHandle.standardError.write(Data("meshpeer: warning: \(failure)\n".utf8)) }
            addresses += resolved
        }
        return addresses
    }
}
