import MeshCore

/// The start of one TCP connection on a listener with the PROXY protocol on (decision 0103), sans-IO: bytes and
/// the time go in, a decision comes out; the adapter (`ProxyHeaderHandler` in RelayServer) only translates.
///
/// - From a trusted proxy (`.required`) a header (v2, or v1's text line) is mandatory: anything else, a malformed one, or a
///   header that takes longer than `timeout` closes the connection.
/// - From any other peer (`.refuseForged`) no header is read: the connection is the client's own, and a
///   connection that starts with the v2 signature or v1's `PROXY ` is refused as a forgery (no HTTP request
///   starts with CR LF CR LF NUL, and no HTTP method is called PROXY), so no peer can choose the address it is
///   counted under. Other bytes pass through untouched, as soon as one differs from both openings; this mode has
///   no timer (the relay's login deadline bounds a silent peer).
///
/// Bounded: at most `fixedLength + maximumBodyLength` bytes are needed to decide, so the buffer never holds more
/// than that plus one read.
public struct ProxyHeaderReader: Sendable {
    public enum Mode: Sendable {
        case required
        case refuseForged
    }

    public enum Outcome: Equatable, Sendable {
        /// Undecided: wait for more bytes (or the timeout).
        case needMore
        /// The connection's header, and the client's bytes that came after it in the same reads.
        case header(ProxyHeader, remainder: [UInt8])
        /// Not a PROXY connection (`.refuseForged`): hand every byte received on, unchanged.
        case passThrough([UInt8])
        /// Close the connection and count `error.code`.
        case refused(ProxyHeaderError)
    }

    public let mode: Mode
    public let maximumBodyLength: Int
    private let deadline: Timestamp
    private var buffer: [UInt8] = []
    private var decided = false

    /// How long a trusted proxy may take to send its header (HAProxy writes it as soon as it connects).
    public static let defaultTimeout: Duration = .seconds(5)

    public init(
        mode: Mode,
        now: Timestamp,
        timeout: Duration = defaultTimeout,
        maximumBodyLength: Int = ProxyHeaderDecoder.maximumBodyLength
    ) {
        self.mode = mode
        self.deadline = now + timeout
        self.maximumBodyLength = maximumBodyLength
    }

    /// The next bytes of the connection. After a decision the reader is done and answers `.needMore` to nothing:
    /// the adapter removes itself then.
    public mutating func receive(_ bytes: [UInt8]) -> Outcome {
        guard !decided else { return .needMore }
        buffer += bytes
        let outcome = decide()
        if outcome != .needMore {
            decided = true
            buffer = []
        }
        return outcome
    }

    /// When `handleTimeout` should run: only a trusted proxy's header has a deadline.
    public func pollTimeout() -> Timestamp? {
        decided || mode == .refuseForged ? nil : deadline
    }

    /// A spurious or early call is a no-op (nil).
    public mutating func handleTimeout(now: Timestamp) -> Outcome? {
        guard let deadline = pollTimeout(), now >= deadline else { return nil }
        decided = true
        buffer = []
        return .refused(ProxyHeaderError(.timeout, "no complete header within the timeout"))
    }

    private func decide() -> Outcome {
        switch mode {
        case .refuseForged:
            // Either version's opening: the v2 signature, or v1's `PROXY ` (no HTTP method is called PROXY).
            for opening in [ProxyHeaderDecoder.signature, ProxyHeaderV1.prefix] {
                let prefix = min(buffer.count, opening.count)
                guard buffer[..<prefix].elementsEqual(opening[..<prefix]) else { continue }
                guard prefix == opening.count else { return .needMore }
                return .refused(ProxyHeaderError(.untrusted, "a PROXY header from a peer that is not a trusted proxy"))
            }
            return .passThrough(buffer)
        case .required:
            do {
                switch try ProxyHeaderDecoder.decode(buffer, maximumBodyLength: maximumBodyLength) {
                case .needMore:
                    return .needMore
                case .header(let header, let length):
                    return .header(header, remainder: Array(buffer[length...]))
                }
            } catch {
                return .refused(error)
            }
        }
    }
}
