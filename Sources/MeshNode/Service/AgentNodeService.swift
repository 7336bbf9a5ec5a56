import ServiceLifecycle

/// The node as a swift-service-lifecycle service: relay events, the outbox and upkeep run until graceful
/// shutdown; then relays and the DHT are closed and live subscribers are ended. The database needs no flush:
/// every change committed when it happened.
public struct AgentNodeService: Service {
    public let node: AgentNode

    public init(node: AgentNode) { self.node = node }

    public func run() async throws {
        node.startPortMapProbe()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await node.runRelayEvents() }
            group.addTask { await node.runOutbox() }
            group.addTask { await node.runMaintenance() }
            group.addTask { await node.runAuditFeed() }
            group.addTask { await node.runNATWatch() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await node.shutdown()
    }
}

extension AgentNode {
    func runMaintenance() async {
        while !Task.isCancelled {
            await maintain()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func shutdown() async {
        await closeAllPaths()
        await releasePortMapping()
        await relays.stop()
        await dht.shutdown()
        await events.finishAll()
    }
}
