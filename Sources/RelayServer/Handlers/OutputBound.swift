import Metrics
import NIOCore

/// Outbound backpressure for one connection (decision 0075). The channel's write-buffer high-water mark is the
/// relay's `outputBufferMaximumBytes`; while the output is above it (the channel is not writable) this handler
/// holds back `read()`, so a client that does not read cannot make the relay buffer answers (pongs, refusals,
/// `accepted`) without bound: the relay answers what it has read and stops reading. If the output stays above
/// the mark for `stuckTimeout`, the connection is closed and counted.
///
/// Placed first in the pipeline, so it sees every `read()` and the writability changes of the socket.
final class OutputBound: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private let stuckTimeout: TimeAmount
    private let paused: Counter
    private let pausedAt: Gauge
    private let dropped: Counter
    private var heldRead = false
    private var stuck: Scheduled<Void>?

    init(stuckTimeout: TimeAmount, paused: Counter, pausedAt: Gauge, dropped: Counter) {
        self.stuckTimeout = stuckTimeout
        self.paused = paused
        self.pausedAt = pausedAt
        self.dropped = dropped
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            heldRead = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stuck?.cancel()
            stuck = nil
            if heldRead {
                heldRead = false
                context.read()
            }
        } else if stuck == nil {
            // Recorded before the count, so whoever sees the count sees this pause's output. The read fails only on
            // a channel already closing, which has nothing left to report: the gauge keeps the last real pause
            // rather than a made-up 0.
            if let buffered = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes) {
                pausedAt.record(buffered)
            }
            paused.increment()
            let channel = context.channel
            let dropped = self.dropped
            stuck = context.eventLoop.scheduleTask(in: stuckTimeout) {
                dropped.increment()
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stuck?.cancel()
        stuck = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stuck?.cancel()
        stuck = nil
    }
}
