import Foundation
import Testing

@testable import MeshPeer

@Suite struct IntentTests {
    @Test func builtInAndNamespacedNamesAreValidAndOthersAreNot() {
        for name in Intent.builtIn + ["x-acme.translate", "x-a1.b-c.d", "x-acme.v2.run"] {
            #expect((try? Intent.validateName(name)) != nil, "\(name)")
        }
        let refused: [(String, String)] = [
            ("", "an intent name is empty"),
            ("chat.messages", "unknown intent; custom intents are namespaced `x-<vendor>.<name>`"),
            ("acme.translate", "unknown intent; custom intents are namespaced `x-<vendor>.<name>`"),
            ("x-Acme.translate", "an intent name uses only a-z, 0-9, `-` and `.`"),
            ("x-acme", "a custom intent is `x-<vendor>.<name>` with no empty part"),
            ("x-.translate", "a custom intent is `x-<vendor>.<name>` with no empty part"),
            ("x-acme..translate", "a custom intent is `x-<vendor>.<name>` with no empty part"),
            ("x-acme.translate.", "a custom intent is `x-<vendor>.<name>` with no empty part"),
            ("x-acme.tr anslate", "an intent name uses only a-z, 0-9, `-` and `.`"),
            ("x-acme." + String(repeating: "a", count: 58), "an intent name is at most 64 bytes"),
        ]
        for (name, reason) in refused {
            #expect(throws: IntentError(intent: name, reason)) { try Intent.validateName(name) }
        }
    }

    @Test func validBodiesPass() throws {
        let valid: [(String, String)] = [
            ("chat.message", #"{"text": "hello"}"#),
            ("chat.message", #"{"text": "**hi**", "format": "markdown"}"#),
            ("task.request", #"{"task": "translate", "input": {"doc": "…"}, "deadline": "2026-12-05T10:00:00Z"}"#),
            ("task.request", #"{"task": "t", "input": null, "deadline": "2026-12-05T10:00:00.250+01:00"}"#),
            ("task.response", #"{"status": "ok", "output": [1, 2]}"#),
            ("task.response", #"{"status": "error", "error": "no such skill"}"#),
            ("task.response", #"{"status": "partial"}"#),
            ("task.cancel", #"{}"#),
            ("task.cancel", #"{"reason": "changed my mind"}"#),
            ("capability.query", #"{}"#),
            ("capability.query", #"{"skill": "legal-translation"}"#),
            ("x-acme.translate", #"{"anything": [true, {"goes": 1}]}"#),
        ]
        for (intent, json) in valid {
            #expect(throws: Never.self, "\(intent) \(json)") {
                try IntentSchemas.validate(intent: intent, body: parse(json))
            }
        }
    }

    @Test func invalidBodiesSayWhatIsWrong() throws {
        let long = String(repeating: "é", count: IntentSchemas.textMaximumLength + 1)
        let invalid: [(String, String, String)] = [
            ("chat.message", #"{}"#, "`text` is required"),
            ("chat.message", #"{"text": 5}"#, "`text` must be a string"),
            ("chat.message", #"{"text": "\#(long)"}"#, "`text` is longer than 16384 characters"),
            ("chat.message", #"{"text": "hi", "format": "html"}"#, "`format` must be one of: text, markdown"),
            ("chat.message", #"{"text": "hi", "colour": "red"}"#, "unknown field `colour`"),
            ("chat.message", #"["hi"]"#, "the body must be a JSON object"),
            ("task.request", #"{"task": "t"}"#, "`input` is required"),
            ("task.request", #"{"task": "", "input": 1}"#, "`task` must not be empty"),
            (
                "task.request", #"{"task": "t", "input": 1, "deadline": "tomorrow"}"#,
                "`deadline` must be an RFC 3339 date-time (2026-12-04T20:00:00Z)"
            ),
            (
                "task.request", #"{"task": "t", "input": 1, "deadline": "2026-12-05 10:00:00Z"}"#,
                "`deadline` must be an RFC 3339 date-time (2026-12-04T20:00:00Z)"
            ),
            ("task.response", #"{"status": "done"}"#, "`status` must be one of: ok, error, partial"),
            ("task.response", #"{"status": "error"}"#, "`error` is required"),
            ("task.cancel", #"{"reason": 1}"#, "`reason` must be a string"),
            ("capability.query", #"{"skills": "x"}"#, "unknown field `skills`"),
            ("receipt", #"{"ids": []}"#, "receipts are sent by the node, not by an agent"),
            ("x-acme.translate", #""text""#, "the body must be a JSON object"),
            ("translate", #"{}"#, "unknown intent; custom intents are namespaced `x-<vendor>.<name>`"),
        ]
        for (intent, json, reason) in invalid {
            let body = try parse(json)
            #expect(throws: IntentError(intent: intent, reason)) {
                try IntentSchemas.validate(intent: intent, body: body)
            }
        }
        #expect(IntentError(intent: "chat.message", "`text` is required").message == "chat.message: `text` is required")
    }

    @Test func dateTimesFollowTheSchemasPattern() {
        for good in ["2026-12-04T20:00:00Z", "2026-12-04T20:00:00.5Z", "2026-12-04T20:00:00-05:30"] {
            #expect(IntentSchemas.isDateTime(good), "\(good)")
        }
        for bad in [
            "2026-12-04T20:00:00", "2026-12-04T20:00Z", "2026-12-04T20:00:00.Z", "2026-12-04T20:00:00+0530",
            "2026-12-04t20:00:00Z", "2026-12-04T20:00:00Z ", "２026-12-04T20:00:00Z",
        ] {
            #expect(!IntentSchemas.isDateTime(bad), "\(bad)")
        }
    }

    @Test(arguments: Intent.builtIn) func theEmbeddedSchemaIsTheFileByteForByte(_ intent: String) throws {
        let file = repositoryRoot.appendingPathComponent("docs/schemas/\(intent).json")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(IntentSchemas.schemaText(for: intent) == text)
        // Its limits are the validator's.
        let schema = try parse(text)
        #expect(schema["title"]?.stringValue == intent)
        #expect(schema["$schema"]?.stringValue == "https://json-schema.org/draft/2020-12/schema")
        let limits: [String: (String, Int)] = [
            "chat.message": ("text", IntentSchemas.textMaximumLength),
            "task.request": ("task", IntentSchemas.taskMaximumLength),
            "task.response": ("error", IntentSchemas.errorMaximumLength),
            "task.cancel": ("reason", IntentSchemas.cancelReasonMaximumLength),
            "capability.query": ("skill", IntentSchemas.skillMaximumLength),
        ]
        if let (field, maximum) = limits[intent] {
            #expect(schema["properties"]?[field]?["maxLength"] == .number(Double(maximum)))
        }
    }

    @Test func everySchemaFileIsEmbedded() throws {
        let folder = repositoryRoot.appendingPathComponent("docs/schemas")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(Intent.builtIn.map { "\($0).json" }))
    }

    func parse(_ json: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    }

    /// Tests/MeshPeerTests/IntentTests.swift → the repository.
    var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
