/// How a mapping is asked for. `all` is the order tried: PCP, then NAT-PMP (both one UDP round trip to the
/// gateway), then UPnP IGD (SSDP discovery, seconds).
public enum PortMapMethod: String, Sendable, CaseIterable {
    case pcp
    case natPMP = "nat-pmp"
    case upnpIGD = "upnp-igd"
}
