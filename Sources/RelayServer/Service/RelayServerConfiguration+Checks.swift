import RelayFallback

extension RelayServerConfiguration {
    /// Refuses settings the relay could never honour, naming the key: a zero or negative count, size, rate or
    /// time; a default TTL over the maximum; an envelope limit over the protocol's or over the mailbox, burst or
    /// output bounds (a largest-size envelope could never pass); metrics on the relay's own port; `proxyProtocol`
    /// without `trustedProxies` (decision 0103: no peer could send the header). Typos are
    /// refused when the file is decoded; this runs after the flags are applied.
    public func check() throws {
        let l = limits
        func positive(_ value: Double, _ key: String) throws {
            guard value > 0, value.isFinite else {
                throw RelayServerError("limits.\(key) must be above 0 (it is \(value))")
            }
        }
        let counts: [(Int, String)] = [
            (l.mailboxMaximumCount, "mailboxMaximumCount"), (l.mailboxMaximumBytes, "mailboxMaximumBytes"),
            (l.storageMaximumCount, "storageMaximumCount"), (l.storageMaximumBytes, "storageMaximumBytes"),
            (l.connectionsPerSource, "connectionsPerSource"), (l.maximumConnections, "maximumConnections"),
            (l.deliveryWindow, "deliveryWindow"), (l.liveWindowBytes, "liveWindowBytes"),
            (l.outputBufferMaximumBytes, "outputBufferMaximumBytes"), (l.maximumEnvelopeBytes, "maximumEnvelopeBytes"),
        ]
        for (value, key) in counts { try positive(Double(value), key) }
        let rates: [(Double, String)] = [
            (l.senderEnvelopesPerSecond, "senderEnvelopesPerSecond"), (l.senderEnvelopeBurst, "senderEnvelopeBurst"),
            (l.senderBytesPerSecond, "senderBytesPerSecond"), (l.senderByteBurst, "senderByteBurst"),
            (l.authenticationTimeoutSeconds, "authenticationTimeoutSeconds"),
            (l.stuckClientTimeoutSeconds, "stuckClientTimeoutSeconds"), (l.ackWaitSeconds, "ackWaitSeconds"),
            (Double(l.defaultTTLSeconds), "defaultTTLSeconds"), (Double(l.maximumTTLSeconds), "maximumTTLSeconds"),
        ]
        for (value, key) in rates { try positive(value, key) }
        for (value, key) in [
            (l.recentlyDeliveredMemory, "recentlyDeliveredMemory"), (l.contactEntriesMaximum, "contactEntriesMaximum"),
            (l.firstContactMaximumCount, "firstContactMaximumCount"),
            (l.firstContactMaximumBytes, "firstContactMaximumBytes"),
        ] where value < 0 {
            throw RelayServerError("limits.\(key) must not be negative (it is \(value))")
        }
        guard l.ackWaitSeconds <= RelayLimits.ackWaitMaximumSeconds else {
            throw RelayServerError(
                "limits.ackWaitSeconds \(l.ackWaitSeconds) is over \(Int(RelayLimits.ackWaitMaximumSeconds)) (a day)"
            )
        }
        let protocolMaximum = RelayFallbackModule.maximumEnvelopeByteCount
        guard l.maximumEnvelopeBytes <= protocolMaximum else {
            throw RelayServerError(
                "limits.maximumEnvelopeBytes \(l.maximumEnvelopeBytes) is over the protocol's \(protocolMaximum)"
            )
        }
        guard l.defaultTTLSeconds <= l.maximumTTLSeconds else {
            throw RelayServerError(
                "limits.defaultTTLSeconds \(l.defaultTTLSeconds) is over limits.maximumTTLSeconds \(l.maximumTTLSeconds)"
            )
        }
        for (value, key) in [
            (Double(l.mailboxMaximumBytes), "mailboxMaximumBytes"), (l.senderByteBurst, "senderByteBurst"),
        ] where value < Double(l.maximumEnvelopeBytes) {
            throw RelayServerError(
                "limits.\(key) \(Int(value)) is below limits.maximumEnvelopeBytes \(l.maximumEnvelopeBytes): an "
                    + "envelope of the largest allowed size could never pass"
            )
        }
        guard shutdownGraceSeconds >= 0, shutdownGraceSeconds.isFinite else {
            throw RelayServerError("shutdownGraceSeconds must not be negative (it is \(shutdownGraceSeconds))")
        }
        if proxyProtocol, trustedProxies.isEmpty {
            throw RelayServerError(
                "proxyProtocol needs trustedProxies: the addresses of the proxies that send the header"
            )
        }
        let relay = try hostAndPort()
        let metrics = try Self.split(effectiveMetricsListen, key: "metricsListen")
        if relay.port != 0, metrics.port == relay.port,
            metrics.host == relay.host || ["0.0.0.0", "::"].contains(relay.host)
                || (relay.host == "localhost" && ["127.0.0.1", "::1"].contains(metrics.host))
        {
            throw RelayServerError(
                "metricsListen \(effectiveMetricsListen) is the relay's own listen address; give it its own port"
            )
        }
    }
}
