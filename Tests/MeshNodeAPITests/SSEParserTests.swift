import Testing

@testable import MeshNodeAPI

@Suite struct SSEParserTests {
    @Test func parsesEventsAcrossChunksAndLineEndings() throws {
        var parser = SSEParser()
        let text =
            ": connected\r\n\r\nevent: message\r\nid: 7\r\ndata: {\"a\":\ndata: 1}\r\n\r\nevent: knock\rdata: x\r\r"
        var events: [SSEParser.Event] = []
        for byte in Array(text.utf8) { events += try parser.feed([byte]) }
        #expect(
            events == [
                SSEParser.Event(type: "message", data: "{\"a\":\n1}", id: "7"),
                SSEParser.Event(type: "knock", data: "x", id: "7"),
            ]
        )
    }

    @Test func commentsAndEmptyEventsDispatchNothing() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array(": keep-alive\n\n\n\nevent: x\n\n".utf8)).isEmpty)
        #expect(
            try parser.feed(Array("data:no-space\n\n".utf8)) == [
                SSEParser.Event(type: "message", data: "no-space", id: nil)
            ]
        )
    }

    @Test func anEndlessLineIsAnError() {
        var parser = SSEParser(maximumBytes: 16)
        #expect(throws: SSEParser.Overflow.self) { try parser.feed(Array(String(repeating: "d", count: 17).utf8)) }
    }
}
