import Logging
import MCP
import MeshPeer

/// Follows the node's event stream and tells a subscribed client `notifications/resources/updated` for the inbox
/// when a message arrives. Reconnects when the node restarts, 2 s apart, at most `attempts` times in a row.
struct MCPInboxWatcher: Sendable {
    let api: MCPNodeAPI
    let resources: MCPResources
    let server: Server
    let logger: Logger

    func run(attempts: Int) async {
        var failures = 0
        while !Task.isCancelled, failures < attempts {
            do {
                let events = try await api.connectEvents()
                failures = 0
                for try await event in events where event.type == .message || event.dropped > 0 {
                    guard resources.isSubscribed(MCPResources.inbox) else { continue }
                    try await server.notify(ResourceUpdatedNotification.message(.init(uri: MCPResources.inbox)))
                }
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                if failures == 1 { logger.notice("inbox notifications paused: \(error)") }
            }
            try? await Task.sleep(for: .seconds(2))
        }
        if failures >= attempts { logger.warning("inbox notifications stopped: no node after \(attempts) attempts") }
    }
}
