import Testing

@testable import MeshNode

/// The stored home-relay lists: what is encoded decodes back (from the cache or not), text that is not a list
/// does not decode, and the cache of decoded lists stays within its bound however many lists pass through it.
@Suite struct HomesCodingTests {
    @Test func listsRoundTripAndTheCacheStaysBounded() {
        let lists = (0..<(ContactStore.decodedHomesLimit + 500)).map { index in
            ["wss://relay-\(index).example/relay", "ws://127.0.0.1:\(7_000 + index % 100)/relay"]
        }
        for homes in lists {
            let text = ContactStore.encodeHomes(homes)
            #expect(ContactStore.decodeHomes(text) == homes)
            // The second read is the cached one and must be the same list.
            #expect(ContactStore.decodeHomes(text) == homes)
            #expect(ContactStore.decodedHomesCount <= ContactStore.decodedHomesLimit)
        }
        // Not a list: nil, so the row's parser reports the row unreadable (counted) instead of "no relays".
        #expect(ContactStore.decodeHomes("not json") == nil)
        #expect(ContactStore.decodeHomes("{\"a\": 1}") == nil)
        #expect(ContactStore.decodeHomes(nil) == [])
        #expect(ContactStore.decodeHomes("[]") == [])
    }
}
