import Foundation
import MCP
import Testing

@testable import MeshMCP

@Suite("MCP tool catalog")
struct ToolCatalogTests {
    @Test("every tool has an object input schema whose required names are properties, and an output schema")
    func schemasAreConsistent() throws {
        let tools = MCPToolCatalog.tools(allowKnockDecisions: false)
        #expect(
            tools.map(\.name).sorted() == [
                "approve_knock", "deny_knock", "find_agents", "get_agent", "knock", "list_contacts", "list_knocks",
                "message_status", "read_messages", "send_message", "status",
            ]
        )
        for tool in tools {
            guard case .object(let input) = tool.inputSchema else {
                Issue.record("\(tool.name): input schema is not an object")
                continue
            }
            #expect(input["type"] == "object", "\(tool.name)")
            #expect(input["additionalProperties"] == false, "\(tool.name) must refuse unknown arguments")
            let properties = input["properties"]?.objectValue ?? [:]
            for name in input["required"]?.arrayValue ?? [] {
                #expect(properties[name.stringValue ?? ""] != nil, "\(tool.name): required \(name) is no property")
            }
            guard case .object(let output)? = tool.outputSchema else {
                Issue.record("\(tool.name): no output schema")
                continue
            }
            #expect(output["type"] == "object", "\(tool.name): structured content must be an object")
        }
    }
}
