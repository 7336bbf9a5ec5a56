import MeshCore
import MeshPeer

/// `GET /v1/paths` and `POST /v1/paths/reset`: the owner sees how each conversation travels and can drop a
/// direct channel (docs/paths.md).
extension AgentNode {
    public func paths() async throws(NodeAPIError) -> PathsReport {
        pathsReport()
    }

    public func resetPath(peer: String) async throws(NodeAPIError) -> PathsReport {
        // Not a server failure: with direct paths off there is simply no direct path to drop.
        guard direct != nil else {
            throw NodeAPIError(.notFound, "no direct path to \(peer): direct paths are off (direct.mode is relay)")
        }
        guard paths.reset(peer, now: now) else {
            throw NodeAPIError(.notFound, "no direct path or attempt to \(peer)")
        }
        await runPathActions()
        return pathsReport()
    }

    func pathsReport() -> PathsReport {
        let statistics = paths.statistics
        let samples = statistics.timeToDirect.map(\.milliseconds).sorted()
        func quantile(_ fraction: Double) -> Double? {
            samples.isEmpty ? nil : samples[min(samples.count - 1, Int(Double(samples.count) * fraction))]
        }
        return PathsReport(
            mode: direct == nil ? PathMode.relay.rawValue : paths.configuration.mode.rawValue,
            directChannels: paths.directCount,
            attemptsStarted: statistics.attemptsStarted,
            offersAnswered: statistics.offersAnswered,
            channelsValidated: statistics.channelsValidated,
            fallbacks: statistics.fallbacks,
            failures: statistics.failures,
            timeToDirectMsP50: quantile(0.5),
            timeToDirectMsP95: quantile(0.95),
            peers: paths.phases.sorted { $0.key < $1.key }.map { did, phase in
                let selected = links.values.first { $0.peer.did == did }?.selected
                return PeerPath(
                    peer: did,
                    path: paths.path(for: did),
                    phase: phase,
                    local: selected.map { "\($0.local)" },
                    remote: selected.map { "\($0.remote)" }
                )
            }
        )
    }
}
