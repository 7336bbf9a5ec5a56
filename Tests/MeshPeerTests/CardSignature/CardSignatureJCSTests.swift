import Foundation
import MeshPeer
import Testing

/// RFC 8785 by its own examples: the §3.2.2 sample, the §3.2.3 sorting sample and the Appendix B numbers (the
/// expected strings checked against PyPI rfc8785, an independent implementation), plus the edges a hand-written
/// canonicaliser gets wrong.
@Suite struct CardSignatureJCSTests {
    func canonical(_ json: String) throws -> String {
        let value = try StrictJSON.parse(Array(json.utf8), maximumBytes: 1 << 16)
        return String(decoding: try JCS.canonicalize(value), as: UTF8.self)
    }

    @Test func theRFCSampleCanonicalises() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected =
            #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#
            + #""string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try canonical(input) == expected)
    }

    @Test func membersSortByUTF16CodeUnitsNotScalars() throws {
        let input = #"""
            {"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",
             "\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}
            """#
        let keys = ["\\r", "1", "\u{80}", "\u{f6}", "\u{20ac}", "\u{1F600}", "\u{fb33}"]
        let output = try canonical(input)
        var position = output.startIndex
        for key in keys {
            let range = try #require(output.range(of: "\"\(key)\":", range: position..<output.endIndex))
            position = range.upperBound
        }
    }

    @Test(arguments: [
        ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ])
    func numbersAreWrittenAsECMAScriptWritesThem(bits: String, expected: String) throws {
        let value = Double(bitPattern: try #require(UInt64(bits, radix: 16)))
        #expect(try JCSNumber.format(value) == expected)
    }

    @Test func moreNumberLayouts() throws {
        let cases: [(Double, String)] = [
            (1, "1"), (-1, "-1"), (0.1, "0.1"), (100, "100"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"), (1e-6, "0.000001"), (123.456, "123.456"), (5e-7, "5e-7"), (2.5e25, "2.5e+25"),
        ]
        for (value, text) in cases { #expect(try JCSNumber.format(value) == text, "\(value)") }
        #expect(throws: CardSignatureError.self) { try JCSNumber.format(.nan) }
        #expect(throws: CardSignatureError.self) { try JCSNumber.format(.infinity) }
    }

    @Test func controlCharactersUseTheShortEscapesAndLowerCaseHex() throws {
        #expect(
            try canonical(#"["\u0008\u0009\u000a\u000c\u000d\u001F\u007f/"]"#) == "[\"\\b\\t\\n\\f\\r\\u001f\u{7f}/\"]"
        )
    }

    @Test func theStrictReaderRefusesWhatJCSCannotSign() throws {
        let refused = [
            #"{"a":1,"a":2}"#, #"{"a":1} x"#, #"["\ud800"]"#, #"["\udc00"]"#, #"[01]"#, #"[1.]"#, #"[1e999]"#,
            #"[tru]"#, "[\"\u{01}\"]", #"{"a" 1}"#, #"[1,]"#, "", "   ", #"{"#, #"["\x"]"#,
            String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
        ]
        for text in refused {
            #expect(throws: CardSignatureError.self, "\(text.prefix(20))") { try canonical(text) }
        }
        #expect(throws: CardSignatureError.self) { try StrictJSON.parse([0x22, 0xFF, 0x22], maximumBytes: 10) }
        let big = try? StrictJSON.parse(Array("[1,2,3]".utf8), maximumBytes: 3)
        #expect(big == nil)
        #expect(try canonical(#" { "b" : [ 1 , { } ] , "a" : "\u00e9" } "#) == "{\"a\":\"é\",\"b\":[1,{}]}")
    }

    @Test func base64URLIsCanonical() {
        #expect(Base64URL.encode(Array("A".utf8)) == "QQ")
        #expect(Base64URL.decode("QQ") == Array("A".utf8))
        #expect(Base64URL.decode("QR") == nil, "non-zero leftover bits")
        #expect(Base64URL.decode("QQ==") == nil, "padding")
        #expect(Base64URL.decode("Q") == nil)
        #expect(Base64URL.decode("a+/b") == nil, "the standard alphabet")
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
