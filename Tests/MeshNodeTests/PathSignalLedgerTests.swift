import Foundation
import ICE
import Logging
import MeshCore
import MeshPeer
import NIOPosix
import Testing

@testable import MeshNode

/// Path signals through the node's ledger (real sessions, real SQLite files): a contact's offer reaches the path
/// manager and earns no receipt; a non-contact's is never read; the candidate policy keeps checks away from
/// link-local, multicast, unspecified and (unless we bind it ourselves) loopback addresses.
@Suite struct PathSignalLedgerTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func offer(at now: Timestamp) -> PathSignal {
        .offer(
            .init(
                attempt: 42,
                sentAt: now,
                tieBreak: 7,
                channelID: 9,
                ciphers: ["xchacha20poly1305"],
                share: Array(repeating: 5, count: 32),
                ice: PathICE(
                    ufrag: "abcd",
                    pwd: String(repeating: "p", count: 22),
                    candidates: [],
                    endOfCandidates: true
                )
            )
        )
    }

    func signal(
        _ signal: PathSignal,
        from sender: LedgerParty,
        to recipient: LedgerParty,
        at now: Timestamp
    ) throws
        -> OutboxEntry
    {
        try sender.write { db in
            var random = SeededRandom(seed: 77)
            return try sender.ledger.enqueue(
                .path(signal),
                id: MessageID.random(using: &random),
                kind: .signal,
                intent: "path.signal",
                to: (recipient.did, recipient.identity.publicKey),
                relays: recipient.relays,
                now: now,
                db
            )
        }
    }

    @Test func aContactsOfferReachesThePathManagerWithoutAReceipt() throws {
        let (alice, bob) = try LedgerTests().pair()
        let later = start + .seconds(1)
        let entry = try signal(offer(at: later), from: alice, to: bob, at: later)
        #expect(entry.kind == .signal)
        let receiptsBefore = try bob.outgoing(now: later).filter { $0.kind == .receipt }.count
        guard case .session(.pathSignal(let peer, let received)) = try bob.deliver(entry, now: later) else {
            throw TestFailure("the offer did not reach the path manager")
        }
        #expect(peer == PathPeer(did: alice.did, key: alice.identity.publicKey))
        #expect(received == offer(at: later))
        #expect(try bob.outgoing(now: later).filter { $0.kind == .receipt }.count == receiptsBefore, "no receipt")
        guard case .session(.duplicate) = try bob.deliver(entry, now: later) else {
            throw TestFailure("a replayed offer was not recognised as a duplicate")
        }
    }

    @Test func aStrangersOfferIsNeverRead() throws {
        let mallory = try LedgerParty("mallory", seed: 3)
        let bob = try LedgerParty("bob", seed: 4)
        try mallory.knockAndPretendContact(bob, now: start)
        let knockEntry = try #require(try mallory.outgoing(now: start).first)
        _ = try bob.deliver(knockEntry, policy: KnockPolicy(), now: start)
        let pushy = try signal(offer(at: start), from: mallory, to: bob, at: start)
        guard case .session(.notAccepted) = try bob.deliver(pushy, now: start) else {
            throw TestFailure("an offer from a non-contact was read")
        }
    }

    @Test func remoteCandidatesOutsideThePolicyAreNeverChecked() {
        func usable(_ text: String, loopback: Bool = false) -> Bool {
            AgentNode.usableRemote(IPAddress(text)!, allowLoopback: loopback)
        }
        #expect(usable("203.0.113.7") && usable("192.0.2.2") && usable("2001:db8::1"))
        #expect(!usable("169.254.10.1") && !usable("fe80::1"), "link-local")
        #expect(!usable("0.0.0.0") && !usable("::"), "unspecified")
        #expect(!usable("224.0.0.1") && !usable("239.1.1.1") && !usable("ff02::1"), "multicast")
        #expect(!usable("127.0.0.1") && !usable("::1"), "our own loopback, named by a remote peer")
        #expect(usable("127.0.0.1", loopback: true), "a local mesh binds loopback itself")
    }

    @Test func theDirectSectionOfConfigIsCheckedByName() throws {
        func decode(_ text: String) throws -> NodeConfiguration {
            try JSONDecoder().decode(NodeConfiguration.self, from: Data(text.utf8))
        }
        #expect(try decode(#"{"direct": {"mode": "relay"}}"#).direct.mode == .relay)
        #expect(try decode(#"{}"#).direct.mode == .auto)
        #expect(throws: ConfigurationError.self) { try decode(#"{"direct": {"mode": "sometimes"}}"#) }
        #expect(throws: (any Error).self) { try decode(#"{"direct": {"mdoe": "relay"}}"#) }
        #expect(try decode(#"{}"#).direct.portMapping)
        #expect(try decode(#"{"direct": {"portMapping": false}}"#).direct.portMapping == false)
        #expect(throws: (any Error).self) { try decode(#"{"direct": {"portMaping": false}}"#) }
    }

    /// The gateway is asked only where a mapping can help: never on a loopback mesh, never when the owner said no.
    @Test func portMappingIsAskedOnlyOffLoopbackAndWhenAllowed() throws {
        func setup(_ text: String) throws -> DirectSetup? {
            let configuration = try JSONDecoder().decode(NodeConfiguration.self, from: Data(text.utf8))
            let group = MultiThreadedEventLoopGroup.singleton
            return NodeRunner.directSetup(configuration, seeds: [], group: group, logger: Logger(label: "test"))
        }
        let lan = #"{"dht": {"listen": ["192.0.2.10:4646"]}, "direct": {"hosts": ["192.0.2.10"]}}"#
        let lanNoMapping =
            #"{"dht": {"listen": ["192.0.2.10:4646"]}, "direct": {"hosts": ["192.0.2.10"], "portMapping": false}}"#
        #expect(try setup(lan)?.portMapping != nil)
        #expect(try setup(lanNoMapping)?.portMapping == nil)
        let loopback = #"{"dht": {"listen": ["127.0.0.1:4646"]}}"#
        #expect(try setup(loopback)?.portMapping == nil)
    }
}
