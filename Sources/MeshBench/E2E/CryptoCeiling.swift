import Foundation

/// The most messages per second any node could carry on this machine if a message cost nothing but its end-to-end
/// encryption: one Double Ratchet encrypt (header encryption on) at the sender and one decrypt at the recipient,
/// every core busy with nothing else. Measured in the same run as the node's figure and the bare forwarder, so the
/// forwarder ratio the issue asks for (`ratio_relay >= 0.25`) can be read against the ratio no implementation with
/// this cipher suite could pass on this machine.
///
/// It is an upper bound on purpose: the plaintext is the bare `size` bytes (the node encrypts a JSON message that
/// holds them, larger), the fastest of the rounds counts, and the node's other work (JSON, the API's HTTP, the
/// SQLite transaction at each end that makes the message durable, the relay hop) is taken as free.
struct CryptoCeiling: Sendable {
    /// Seconds of one core per encrypt and per decrypt.
    var encrypt: Double
    var decrypt: Double
    var cores: Int

    var secondsPerMessage: Double { encrypt + decrypt }
    var messagesPerSecond: Double { secondsPerMessage > 0 ? Double(cores) / secondsPerMessage : 0 }

    static let definition =
        "processor cores / (one Ratchet encrypt + one decrypt of `size` bytes, header encryption on, the fastest of "
        + "3 rounds, one core): the messages per second of a node whose every message cost only its end-to-end "
        + "encryption, an upper bound measured in this run (JSON, HTTP, the durable SQLite commits and the relay "
        + "hop taken as free)"

    /// `messages` per round (at least 100): a round's chain runs that many encrypts, then as many decrypts.
    static func measure(messages: Int, size: Int, rounds: Int = 3) throws -> CryptoCeiling {
        let count = max(messages, 100)
        var best = try RatchetTimings.steadyState(messages: count, size: size)
        for _ in 1..<max(rounds, 1) {
            let round = try RatchetTimings.steadyState(messages: count, size: size)
            if round.encrypt + round.decrypt < best.encrypt + best.decrypt { best = round }
        }
        return CryptoCeiling(
            encrypt: best.encrypt,
            decrypt: best.decrypt,
            cores: ProcessInfo.processInfo.activeProcessorCount
        )
    }
}
