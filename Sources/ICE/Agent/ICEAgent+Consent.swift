import MeshCore

extension ICEAgent {
    /// RFC 7675: a Binding request on the selected pair every 4-6 s; without any answer for 30 s consent is lost
    /// and the owner must stop sending on the pair.
    mutating func refreshConsent(now: Timestamp) {
        guard let key = selected, let last = lastConsent else { return }
        if now >= last + config.consentTimeout {
            selected = nil
            nextConsent = nil
            lastConsent = nil
            state = .disconnected
            transactions.removeAll { $0.consent }
            emit(.consentLost(local: key.base, remote: key.remote))
            return
        }
        guard let next = nextConsent, next <= now, let index = pairIndex(key) else { return }
        startCheck(index, useCandidate: false, consent: true, now: now)
        nextConsent = now + jitteredConsentInterval()
    }

    /// The consent interval randomised by ±20% (RFC 7675 §5.1) from the injected generator.
    mutating func jitteredConsentInterval() -> Duration {
        let fraction = Double(random.next() % 401) / 1_000 + 0.8
        return config.consentInterval * fraction
    }
}
