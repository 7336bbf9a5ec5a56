import Foundation

extension LocalMesh {
    /// `meshpeer indexer` joined through the bootstrap node, its mirror under `root`, its HTTP API on a free port.
    /// Returns the API's base URL. It crawls briskly (200 probes/s, each agent revisited every 5 s): a devnet is
    /// small and short-lived.
    public func startIndexer(_ name: String = "indexer") async throws -> String {
        let process = try spawn(
            name,
            [
                "indexer", "--database", root + "/\(name).sqlite", "--bootstrap", bootstrapAddress, "--http",
                "127.0.0.1:0", "--rate", "200", "--revisit", "5",
            ]
        )
        struct Listening: Decodable { var http: String }
        return try await process.waitForEvent("listening", as: Listening.self, timeout: .seconds(30)).http
    }
}
