// Each harness defines `LLVMFuzzerTestOneInput` with `@_cdecl`; libFuzzer's own `main` (linked by
// `-sanitize=fuzzer`) drives it. These helpers keep the harnesses short.

/// The fuzzer's input as an array (decoders take `[UInt8]`).
public func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// A property violation: crash so libFuzzer records the input.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz property violated: \(message())") }
}
