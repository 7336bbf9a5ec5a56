import CLISupport
import Foundation
import Testing

/// `SortedJSON` replaces `JSONSerialization`'s `.sortedKeys` in the lines commands print (that option opens ICU):
/// its output must be the same JSON, with keys in order at every depth.
@Suite struct SortedJSONTests {
    @Test func keysAreInOrderAtEveryDepthAndTheTextParsesBackToTheSameValue() throws {
        let value: [String: Any] = [
            "zeta": 1, "alpha": "a/b \"quoted\" \u{1}", "mid": [["b": true, "a": 2.5], [] as [Any]],
            "nested": ["y": ["q": 1, "p": 2], "x": NSNull()],
        ]
        let text = try SortedJSON.text(value)
        #expect(
            text == #"{"alpha":"a\/b \"quoted\" \u0001","mid":[{"a":2.5,"b":true},[]],"#
                + #""nested":{"x":null,"y":{"p":2,"q":1}},"zeta":1}"#,
            "\(text)"
        )
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
        #expect(parsed == (value as NSDictionary))
    }

    @Test func slashesAreEscapedUnlessAskedNotTo() throws {
        #expect(try SortedJSON.text(["url": "http://x/y"]) == #"{"url":"http:\/\/x\/y"}"#)
        #expect(try SortedJSON.text(["url": "http://x/y"], escapingSlashes: false) == #"{"url":"http://x/y"}"#)
    }

    @Test func aValueJSONCannotHoldIsAnErrorNotALine() {
        #expect(throws: (any Error).self) { try SortedJSON.text(["when": Date()]) }
        #expect(throws: (any Error).self) { try SortedJSON.text(["bad": Double.nan]) }
    }
}

extension SortedJSONTests {
    /// A line whose value JSON cannot hold is still printed, with the reason first, rather than dropped.
    @Test func aLineThatCannotBeJSONSaysWhyAndKeepsItsFields() {
        let line = SortedJSON.line(["event": "lookup", "latency": Double.nan])
        #expect(line.hasPrefix("json_error="), "\(line)")
        #expect(line.hasSuffix("event=lookup latency=nan"), "\(line)")
        #expect(SortedJSON.line(["b": 1, "a": "x"]) == #"{"a":"x","b":1}"#)
    }
}
