import FuzzSupport
import ICE
import MeshCore

/// The port-mapping decoders (NAT-PMP, RFC 6886; PCP, RFC 6887) read what any host on the LAN can send to our
/// mapping socket: they never trap, and what they accept is exactly what the message said (re-encoding the decoded
/// fields, with the bytes the parser skips, gives the input back). Requests built from any field values have the
/// RFC's fixed sizes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    switch selector % 4 {
    case 0:
        if let response = try? NATPMP.parseMapResponse(body) {
            var writer = WireWriter(capacity: 16)
            writer.write(UInt8(0))
            writer.write(UInt8(129))
            writer.write(response.resultCode)
            writer.write(raw: Array(body[4..<8]))  // the gateway's epoch, which the parser skips
            writer.write(response.internalPort)
            writer.write(response.externalPort)
            writer.write(response.lifetime)
            fuzzCheck(writer.bytes == body, "a NAT-PMP mapping response is not what it said")
        }
    case 1:
        if let address = try? NATPMP.parseExternalAddress(body) {
            fuzzCheck(address.isIPv4 && address.bytes == Array(body.suffix(4)), "NAT-PMP external address mismatch")
            fuzzCheck(body.count == 12, "NAT-PMP external address response of \(body.count) bytes")
        }
    case 2:
        if let response = try? PCP.parseMapResponse(body) {
            fuzzCheck(body.count >= 60 && body.count <= 60 + 1_024, "PCP response of \(body.count) bytes accepted")
            fuzzCheck(response.nonce == Array(body[24..<36]), "PCP nonce is not the echoed one")
            fuzzCheck(response.resultCode == body[3], "PCP result code")
            let raw = Array(body[44..<60])
            let mapped = raw.prefix(12).elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF])
            fuzzCheck(response.externalIP.bytes == (mapped ? Array(raw.suffix(4)) : raw), "PCP external address")
        }
    default:
        // Requests from arbitrary field values (the mapper builds them from config and the OS).
        var reader = WireReader(body)
        guard let port = try? reader.readUInt16(), let external = try? reader.readUInt16(),
            let lifetime = try? reader.readUInt32(), let nonce = try? reader.readBytes(12),
            let raw = try? reader.readBytes(Int(selector % 2 == 0 ? 4 : 16)), let client = IPAddress(bytes: raw)
        else { return 0 }
        fuzzCheck(
            NATPMP.mapRequest(internalPort: port, suggestedExternalPort: external, lifetime: lifetime).count == 12,
            "NAT-PMP request size"
        )
        let request = PCP.mapRequest(
            client: client,
            internalPort: port,
            suggestedExternalPort: external,
            lifetime: lifetime,
            nonce: nonce
        )
        fuzzCheck(request.count == 60, "PCP request size \(request.count)")
    }
    return 0
}
