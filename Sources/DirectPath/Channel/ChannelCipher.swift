import MeshCore

/// The AEAD that protects a channel's packets.
///
/// Both ends must use the same one. It is bound into the key derivation (`ChannelKeys`), so ends that disagree fail
/// closed: every packet is dropped as forged, and nothing is ever protected by a cipher one side did not choose.
/// The choice travels with the offer (the ICE description in the lab, the end-to-end session in the node), which
/// an attacker cannot rewrite.
public enum ChannelCipher: String, CaseIterable, Codable, Sendable {
    /// About twice as fast on CPUs with AES-NI and PCLMULQDQ (decision 0069); libsodium has no portable fallback.
    case aes256GCM = "aes256gcm"
    /// Runs everywhere: the default, and what every implementation must support.
    case xchacha20Poly1305 = "xchacha20poly1305"

    /// What this host can run, fastest first.
    public static var supported: [ChannelCipher] {
        AES256GCM.isAvailable ? [.aes256GCM, .xchacha20Poly1305] : [.xchacha20Poly1305]
    }

    /// The cipher two ends use: the first in the initiator's list that the responder also lists, else
    /// XChaCha20-Poly1305. Both ends compute it from the same two lists, so they agree without another round trip.
    public static func agree(initiator: [ChannelCipher], responder: [ChannelCipher]) -> ChannelCipher {
        initiator.first { responder.contains($0) } ?? .xchacha20Poly1305
    }

    /// Parses an offered list, ignoring names this version does not know (a newer peer may offer more), and
    /// keeping at most one of each.
    public static func parse(_ names: [String]) -> [ChannelCipher] {
        var result: [ChannelCipher] = []
        for name in names.prefix(8) {
            if let cipher = ChannelCipher(rawValue: name), !result.contains(cipher) { result.append(cipher) }
        }
        return result
    }
}
