import Testing
@Suite struct MeshNodeTestsPlaceholder { @Test func builds() { #expect(Bool(true)) } }
