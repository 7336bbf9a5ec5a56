import FuzzSupport
import MeshNodeAPI

/// The dashboard's form decoder never traps; what it accepts is within its bounds, and encoding the fields again
/// decodes to the same fields.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let names: Set<String> = ["csrf", "id", "decision", "reason", "code", "a", ""]
    guard let form = try? DashboardForm(bytes, allowed: names) else { return 0 }
    fuzzCheck(bytes.count <= DashboardForm.maximumBytes, "accepted an oversize form")
    fuzzCheck(form.fields.count <= DashboardForm.maximumFields, "accepted too many fields")
    for (name, value) in form.fields {
        fuzzCheck(names.contains(name), "accepted an unknown field")
        fuzzCheck(value.utf8.count <= DashboardForm.maximumValueBytes, "accepted an oversize value")
        fuzzCheck(
            !value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F },
            "accepted a control character"
        )
    }
    let encoded = form.fields.sorted { $0.key < $1.key }.map { encode($0.key) + "=" + encode($0.value) }
        .joined(separator: "&")
    let again = try? DashboardForm(Array(encoded.utf8), allowed: names)
    fuzzCheck(again?.fields == form.fields || encoded.utf8.count > DashboardForm.maximumBytes, "does not round-trip")
    return 0
}

private func encode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            out.append(Character(Unicode.Scalar(byte)))
        default:
            let digits = Array("0123456789ABCDEF")
            out += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
        }
    }
    return out
}
