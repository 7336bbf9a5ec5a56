#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Listening on IPv4 and IPv6 by default without breaking hosts that have no IPv6 (issue 16, decision 0099).
///
/// The DHT and the relay bind their IPv6 sockets beside the IPv4 ones. On a host without IPv6 those binds fail,
/// and the node carries on with IPv4 and says so; any other failure (the port is taken, no permission) still
/// stops it, because carrying on would hide a real misconfiguration. The one place that decides which errors
/// mean "no IPv6 here", shared by the UDP and TCP listeners.
public enum DualStack {
    /// True when a socket or bind error means this host cannot use IPv6, or not this IPv6 address:
    /// `EAFNOSUPPORT` (a kernel booted with `ipv6.disable=1`), `EPROTONOSUPPORT`, and `EADDRNOTAVAIL` (the
    /// address is not on this host, as ::1 is not when `disable_ipv6` is set). `EADDRINUSE` and `EACCES` are
    /// not: those are conflicts an operator must hear about.
    public static func meansNoIPv6(errno code: Int32) -> Bool {
        code == EAFNOSUPPORT || code == EPROTONOSUPPORT || code == EADDRNOTAVAIL
    }
}
