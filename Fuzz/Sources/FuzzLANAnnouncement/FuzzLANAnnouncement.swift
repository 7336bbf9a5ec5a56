import FuzzSupport
import Kademlia
import MeshCore

/// The LAN announcement decoder and the gate behind it (decision 0108) never trap on any datagram from any source;
/// what decodes re-encodes to the same bytes, and the gate never pings a link-local, unspecified or multicast
/// address, port 0, or ourselves.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let announcement = try? LANAnnouncement(datagram: bytes) {
        fuzzCheck(announcement.datagram() == bytes, "announcement does not round-trip")
    }
    // The first byte picks the source family; the next 4 or 16 bytes are the source IP.
    guard let selector = bytes.first else { return 0 }
    let length = selector & 1 == 0 ? 4 : 16
    guard bytes.count > length, let source = TransportAddress(ip: Array(bytes[1...length]), port: 4_647) else {
        return 0
    }
    let datagram = Array(bytes.dropFirst(length + 1))
    let verdict = FuzzGate.shared.receive(datagram, from: source, now: Timestamp(secondsSinceEpoch: 1_700_000_000))
    if case .ping(let target) = verdict {
        fuzzCheck(target.port != 0, "pinged port 0")
        fuzzCheck(!LANAnnouncementGate.isLinkLocal(target.ip.bytes), "pinged a link-local address")
        fuzzCheck(!target.ip.bytes.allSatisfy { $0 == 0 }, "pinged the unspecified address")
        fuzzCheck(target.ip == source.ip, "pinged another address than the announcer's")
        let announced = try? LANAnnouncement(datagram: datagram)
        fuzzCheck(announced?.nodeID != FuzzGate.localID, "pinged ourselves")
    }
    fuzzCheck(FuzzGate.shared.rememberedSources <= LANAnnouncementGate.defaultRememberedSources, "memory unbounded")
    return 0
}

/// One gate reused across inputs, so its bounded memory is exercised. `nonisolated(unsafe)` is sound here:
/// libFuzzer calls `LLVMFuzzerTestOneInput` from one thread, one input at a time.
enum FuzzGate {
    static let localID = try! NodeID(bytes: [UInt8](repeating: 0x11, count: 32))
    nonisolated(unsafe) static var shared = LANAnnouncementGate(localID: localID, interval: .seconds(5))
}
