import ArgumentParser
import CLISupport
import Foundation
import MeshNodeAPI
import MeshPeer
import NIOPosix

/// Output options every agent verb shares.
struct AgentOutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text (one document; one object per line with --follow).")
    var json = false

    @Flag(name: .long, help: "Show DIDs and message bodies in full instead of shortened.")
    var full = false
}

/// Runs an agent verb against the node on the data directory: finds it through `api.json` and `api-token`, and
/// turns any failure into one line on stderr and exit status 1.
enum AgentRunner {
    static func run(_ home: HomeOptions, _ body: (LocalAPIClient) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let outcome: (any Error)?
        do {
            let client = try LocalAPIClient(directory: home.keystore.home, eventLoopGroup: group)
            try await body(client)
            outcome = nil
        } catch {
            outcome = error
        }
        try? await group.shutdownGracefully()
        switch outcome {
        case nil:
            return
        case let exit as ExitCode:
            throw exit
        case let error as NodeAPIError where error.code == .unauthorized:
            throw report(
                "\(error.message) (the node at this data directory did not accept \(home.keystore.home)/api-token; "
                    + "was it restarted with another data directory?)"
            )
        case let error as NodeAPIError:
            throw report(error.message)
        case let error?:
            throw report("\(error)")
        }
    }

    /// Writes the one line and returns the exit status to throw.
    static func report(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("meshpeer: error: \(message)\n".utf8))
        return ExitCode.failure
    }
}

/// Prints values as JSON the way every verb's `--json` does: sorted keys, no escaped slashes.
enum AgentJSON {
    static func line<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func print<T: Encodable>(_ value: T) throws {
        Swift.print(try line(value))
    }
}
