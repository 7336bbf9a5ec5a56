import MeshPeer

/// Fans node events out to live subscribers (the API's event stream, `messages?wait=`). Each subscriber has a
/// bounded buffer; when it is full the newest event is dropped for that subscriber and counted, and the next
/// event it does get carries the count in `dropped`, so it knows to catch up from the database by cursor.
actor EventHub {
    /// Events buffered per subscriber before it counts as fallen behind.
    static let bufferPerSubscriber = 256
    /// Subscribers at once; the oldest is ended beyond this (an API client would reconnect).
    static let maximumSubscribers = 64

    private struct Subscriber {
        var continuation: AsyncStream<NodeEvent>.Continuation
        var dropped = 0
        var order: Int
    }

    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    /// Events dropped across all subscribers (a metric).
    private(set) var droppedTotal = 0

    /// Whether anyone listens now (a producer may skip building events nobody would get).
    var hasSubscribers: Bool { !subscribers.isEmpty }

    func subscribe() -> AsyncStream<NodeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: NodeEvent.self,
            bufferingPolicy: .bufferingOldest(EventHub.bufferPerSubscriber)
        )
        let id = nextID
        nextID += 1
        if subscribers.count >= EventHub.maximumSubscribers,
            let oldest = subscribers.min(by: { $0.value.order < $1.value.order })
        {
            subscribers.removeValue(forKey: oldest.key)?.continuation.finish()
        }
        subscribers[id] = Subscriber(continuation: continuation, order: id)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.remove(id) }
        }
        return stream
    }

    func publish(_ event: NodeEvent) {
        for (id, var subscriber) in subscribers {
            var event = event
            event.dropped = subscriber.dropped
            switch subscriber.continuation.yield(event) {
            case .enqueued: subscriber.dropped = 0
            case .dropped:
                subscriber.dropped += 1
                droppedTotal += 1
            case .terminated:
                subscribers.removeValue(forKey: id)
                continue
            @unknown default: break
            }
            subscribers[id] = subscriber
        }
    }

    func finishAll() {
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers = [:]
    }

    private func remove(_ id: Int) { subscribers.removeValue(forKey: id) }
}
