import ICE

extension ICESession {
    /// What port prediction did so far (role, sockets opened, datagrams sent, the hit).
    public func portPredictionStatus() async throws -> PortPredictionStatus {
        try await loop.submit { self.core.agent.portPredictionStatus }.get()
    }

    /// Prediction sockets still open: after selection at most the selected pair's, after failure none.
    public func openPredictionSockets() async throws -> Int {
        try await loop.submit { self.core.predictionSockets.open.count }.get()
    }
}
