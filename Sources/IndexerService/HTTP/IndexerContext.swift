import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the client's address, which the per-client rate limit keys on.
public struct IndexerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
