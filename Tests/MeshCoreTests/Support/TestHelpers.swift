import MeshCore

/// Hex literal for test vectors; whitespace is ignored so vectors can be wrapped as the RFCs print them.
func hex(_ text: String) -> [UInt8] {
    let compact = text.filter { !$0.isWhitespace }
    guard let bytes = Hex.decode(compact) else { fatalError("bad hex in test vector: \(text)") }
    return bytes
}

func secure(_ text: String) -> SecureBytes { SecureBytes(hex(text)) }
