import MeshCore

/// One try at a direct path with one peer, from gathering to a validated channel (and while that channel lives).
struct PathAttempt: Sendable {
    enum Phase: String, Sendable {
        /// Our ICE session is binding and gathering.
        case gathering
        /// Our offer is out; waiting for the answer.
        case awaitingAnswer
        /// Both descriptions are known; ICE checks run.
        case checking
        /// ICE selected a pair; the channel is built and waits for the peer's first authenticated message.
        case connected
        /// The channel carries the conversation.
        case direct
    }

    let id: UInt64
    let peer: PathPeer
    let isOfferer: Bool
    let tieBreak: UInt64
    let localChannelID: UInt64
    let localShare: [UInt8]
    var remoteChannelID: UInt64?
    var remoteShare: [UInt8]?
    var cipher: String?
    var localICE: PathICE?
    var remoteICE: PathICE?
    var earlyCandidates: [String] = []
    /// What trickled with the early candidates: the end mark and the NAT hint.
    var earlyEnd = false
    var earlyNAT = PathNAT.unknown
    var phase: Phase = .gathering
    /// When the first offer of this attempt went out (ours, or the peer's `sentAt` when we answer).
    var offeredAt: Timestamp?
    /// Past this, an attempt that is not direct yet is abandoned.
    let deadline: Timestamp
    var lastTraffic: Timestamp

    var opening: PathChannelOpening? {
        guard let remoteChannelID, let remoteShare, let cipher, let localICE, let remoteICE else { return nil }
        return PathChannelOpening(
            attempt: id,
            peer: peer,
            isInitiator: isOfferer,
            offerShare: isOfferer ? localShare : remoteShare,
            answerShare: isOfferer ? remoteShare : localShare,
            offererChannelID: isOfferer ? localChannelID : remoteChannelID,
            answererChannelID: isOfferer ? remoteChannelID : localChannelID,
            offererUfrag: isOfferer ? localICE.ufrag : remoteICE.ufrag,
            answererUfrag: isOfferer ? remoteICE.ufrag : localICE.ufrag,
            cipher: cipher
        )
    }
}
