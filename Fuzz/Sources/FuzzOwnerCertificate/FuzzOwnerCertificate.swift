import FuzzSupport
import MeshCore
import MeshPeer

/// Owner certificates, revocations and credentials (decision 0093), as a knock body or a record carries them: the
/// first byte picks the decoder. Decoding never traps, whatever decodes re-encodes to the same bytes, and verifying
/// it (signature, agent, owner list, revocations, clock) never traps either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let now = Timestamp(secondsSinceEpoch: 1_796_414_400)
    switch selector % 3 {
    case 0:
        if let certificate = try? OwnerCertificate(decoding: body) {
            fuzzCheck(certificate.encoded() == body, "owner certificate does not round-trip")
            _ = certificate.verify(
                presentedBy: certificate.agent,
                owners: [certificate.owner],
                revocations: [],
                now: now
            )
        }
    case 1:
        if let revocation = try? OwnerRevocation(decoding: body) {
            fuzzCheck(revocation.encoded() == body, "owner revocation does not round-trip")
            _ = revocation.isAuthentic
        }
    default:
        if let credentials = try? OwnerCredentials(decoding: body) {
            fuzzCheck(credentials.encoded() == body, "owner credentials do not round-trip")
            fuzzCheck(body.count <= OwnerCredentials.maximumByteCount, "owner credentials over their bound")
            _ = credentials.verify(presentedBy: credentials.certificate.agent, owners: nil, now: now)
        }
    }
    return 0
}
