import ICE

extension ICESession {
    /// What port prediction did so far (role, sockets opened, datagrams sent, the hit).
    public func portPredictionStatus() async throws -> PortPredictionStatus {
        try await loop.submit { self.core.agent.portPredictionStatus }.get()
    }
}
