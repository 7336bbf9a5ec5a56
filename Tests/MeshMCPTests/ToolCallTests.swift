import Foundation
import MCP
import NIOPosix
import Testing

@testable import MeshMCP

/// Tool calls that never reach a node: bad arguments and a node that is not running are tool errors with a
/// message to act on, never a thrown error.
@Suite("MCP tool calls without a node")
struct ToolCallTests {
    static func calls(allowDecisions: Bool = false) -> (MCPToolCalls, String) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("meshmcp-\(UUID().uuidString)").path
        let api = MCPNodeAPI(home: home, group: MultiThreadedEventLoopGroup.singleton)
        return (MCPToolCalls(api: api, allowKnockDecisions: allowDecisions), home)
    }

    static func text(_ result: CallTool.Result) -> String {
        result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined()
    }

    @Test(
        "bad arguments are tool errors naming the argument",
        arguments: [
            ("knock", ["did": Value.string("did:key:z6Mk")], "`intent` is required"),
            ("knock", ["did": 5, "intent": "task.request", "purpose": "x"], "`did` must be a string"),
            ("status", ["verbose": true], "unknown argument `verbose`"),
            ("read_messages", ["limit": 501], "`limit` must be between 1 and 500"),
            ("read_messages", ["wait_seconds": "soon"], "`wait_seconds` must be a number"),
            ("send_message", ["did": "did:key:z6Mk", "intent": "chat.message"], "`body` is required"),
            ("find_agents", ["capability": "   "], "`capability` must not be empty"),
            ("no_such_tool", [:], "no tool `no_such_tool`"),
        ] as [(String, [String: Value], String)]
    )
    func badArguments(tool: String, arguments: [String: Value], expected: String) async {
        let (calls, _) = Self.calls()
        let result = await calls.call(tool, arguments)
        #expect(result.isError == true)
        #expect(Self.text(result).contains(expected), "\(Self.text(result))")
    }

    @Test("an oversize body is refused before it reaches the node")
    func oversizeBody() async {
        let (calls, _) = Self.calls()
        let body = Value.object(["text": .string(String(repeating: "x", count: 300_000))])
        let result = await calls.call("send_message", ["did": "did:key:z6Mk", "intent": "chat.message", "body": body])
        #expect(result.isError == true)
        #expect(Self.text(result).contains("a message body is at most"))
    }

    @Test("knock decisions are refused unless the owner allowed them")
    func decisionsNeedTheOwner() async {
        let (calls, _) = Self.calls()
        let result = await calls.call("approve_knock", ["id": "abc"])
        #expect(result.isError == true)
        #expect(Self.text(result).contains("--allow-knock-decisions"))
    }

    @Test("no node running: a tool error that says to run `meshpeer run`")
    func noNode() async {
        let (calls, home) = Self.calls(allowDecisions: true)
        for tool in ["status", "list_knocks", "approve_knock"] {
            let result = await calls.call(tool, tool == "approve_knock" ? ["id": "abc"] : [:])
            #expect(result.isError == true)
            #expect(Self.text(result).contains("meshpeer run"), "\(tool): \(Self.text(result))")
            #expect(Self.text(result).contains(home))
        }
    }
}
