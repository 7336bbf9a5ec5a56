import FuzzSupport
import ICE
import MeshCore

/// ICE candidate lines arrive from the peer inside the session (path signals) and from signalling: parsing never
/// traps, and a parsed candidate prints as a line that parses back to the same candidate (the same value travels
/// both ways). Transport addresses from text behave the same way.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    if let candidate = Candidate(sdp: text) {
        let line = candidate.sdp
        fuzzCheck(Candidate(sdp: line) == candidate, "candidate '\(line)' does not parse back to itself")
        fuzzCheck(Candidate(sdp: "candidate:" + line) == candidate, "the candidate: prefix changes the candidate")
        fuzzCheck(line.utf8.count <= 256, "a candidate line of \(line.utf8.count) bytes")
    }
    if let address = TransportAddress(text) {
        fuzzCheck(TransportAddress(address.description) == address, "transport address does not round-trip")
    }
    if let ip = IPAddress(text) {
        fuzzCheck(IPAddress(ip.description) == ip, "IP address does not round-trip")
    }
    return 0
}
