import Foundation
import MeshCore
import MeshNodeAPI
import MeshPeer
import Testing

/// A stolen API token: the owner rotates it and the old one opens nothing from that instant, including the event
/// streams that were opened with it (issue 19).
@Suite struct TokenRotationTests {
    @Test func theOldTokenIsRefusedAtOnceAndItsOpenStreamEnds() async throws {
        try await APIHarness.with { api in
            let before = try String(contentsOfFile: api.directory + "/api-token", encoding: .utf8)
            let stolen = api.client
            let events = try await stolen.connectEvents()
            #expect(try await eventually { await api.node.subscriberCount == 1 })

            let rotation = try await stolen.rotateAPIToken()
            #expect(rotation.closedEventStreams == 1)

            // The stream opened with the old token ends without another event.
            var iterator = events.makeAsyncIterator()
            let next = try? await iterator.next()
            #expect(next == nil)
            #expect(try await eventually { await api.node.subscriberCount == 0 })

            // The old token gets 401 on its next request.
            let refusal = await #expect(throws: NodeAPIError.self) { try await stolen.status() }
            #expect(refusal?.code == .unauthorized)

            // The file holds the new token, still private, and a client made from it works.
            let after = try String(contentsOfFile: api.directory + "/api-token", encoding: .utf8)
            #expect(after != before)
            let attributes = try FileManager.default.attributesOfItem(atPath: api.directory + "/api-token")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let owner = try LocalAPIClient(directory: api.directory, eventLoopGroup: api.group)
            _ = try await owner.status()
        }
    }
}
