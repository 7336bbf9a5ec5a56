import ICE
import Testing

/// Candidate lines from the peer: what parses prints back as a line that parses to the same candidate.
@Suite struct CandidateParsingTests {
    /// FuzzCandidate's first finding (Fuzz/Seeds/FuzzCandidate/regression-second-prefix): with a leading space the
    /// `candidate:` prefix stayed in the foundation, so the candidate printed as a line with another foundation.
    @Test func aFoundationIsOnlyICECharacters() {
        #expect(Candidate(sdp: " candidate:7 1 UDP 21222 2002:db8::1 9 typ host") == nil)
        #expect(Candidate(sdp: "candidate:candidate:7 1 udp 21222 2002:db8::1 9 typ host") == nil)
        #expect(Candidate(sdp: "a\u{7}b 1 udp 1 192.0.2.1 9 typ host") == nil)
        #expect(Candidate(sdp: String(repeating: "a", count: 33) + " 1 udp 1 192.0.2.1 9 typ host") == nil)
        let fine = Candidate(sdp: "candidate:Ab+/09 1 udp 2122260223 192.0.2.10 54400 typ host")
        #expect(fine?.foundation == "Ab+/09")
        #expect(fine.flatMap { Candidate(sdp: $0.sdp) } == fine)
    }

    @Test func aParsedCandidateRoundTrips() throws {
        let lines = [
            "candidate:1467250027 1 udp 2122260223 192.0.2.10 54400 typ host",
            "842163049 1 udp 1686052607 203.0.113.5 61000 typ srflx raddr 192.0.2.10 rport 54400",
            "candidate:7 1 UDP 2122262783 2001:db8::1 9 typ host",
        ]
        for line in lines {
            let candidate = try #require(Candidate(sdp: line))
            #expect(Candidate(sdp: candidate.sdp) == candidate)
        }
    }
}
