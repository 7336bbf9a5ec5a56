import Foundation
import NIOCore
import NIOPosix

/// HTTP as bytes on a socket, for what a well-behaved client never sends: missing tokens, broken JSON, oversize
/// bodies, odd methods. Reads until the server closes, `done` says the text so far is enough, or 10 s pass.
enum RawHTTP {
    struct Reply: Sendable {
        var text: String

        var status: Int {
            let parts = text.split(separator: " ", maxSplits: 2)
            return parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        }

        func header(_ name: String) -> String? {
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            for line in head.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 && parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }

        var body: String {
            guard let range = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[range.upperBound...])
        }
    }

    struct TimedOut: Error {}

    static func exchange(
        _ bytes: [UInt8],
        host: String,
        port: Int,
        group: any EventLoopGroup,
        until done: @escaping @Sendable (String) -> Bool
    ) async throws -> Reply {
        let channel = try await ClientBootstrap(group: group)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await withThrowingTaskGroup(of: Reply.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    // The server may answer and close before it reads everything (413): keep what it says.
                    try? await outbound.write(ByteBuffer(bytes: bytes))
                    var received = ByteBuffer()
                    do {
                        for try await var part in inbound {
                            received.writeBuffer(&part)
                            if done(String(buffer: received)) { break }
                        }
                    } catch {
                        // A reset after the answer: what arrived is the reply.
                    }
                    return Reply(text: String(buffer: received))
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw TimedOut()
            }
            defer {
                group.cancelAll()
                channel.channel.close(promise: nil)
            }
            return try await group.next()!
        }
    }
}
