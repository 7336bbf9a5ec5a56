import ICE
import MeshCore

/// Where application data goes after the consumer followed a NAT rebinding, tied to the pair ICE had selected when
/// it did. If ICE later selects another pair (a consent failure, a better pair nominated), the redirect no longer
/// applies: the new pair's remote is ICE's own, checked answer, and an address learnt on the old pair would send the
/// data where ICE no longer looks.
struct DataRedirect: Equatable, Sendable {
    let pair: PairKey
    let remote: TransportAddress

    static func destination(for selected: PairKey, redirect: DataRedirect?) -> TransportAddress {
        guard let redirect, redirect.pair == selected else { return selected.remote }
        return redirect.remote
    }
}
