import Foundation
import Kademlia
import MeshCore
import Testing

@testable import MeshPeer

/// Revocations the owner publishes under its own key (decision 0100): the record's entries as revocations, the
/// policy refusing a certificate the agent's own record hides the revocation of, and the cache that holds what was
/// learnt. Every instant is given, not read.
@Suite struct OwnerPublishedRevocationTests {
    let owner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 1_001)
        return Ed25519.PrivateKey(using: &random)
    }()
    let otherOwner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 1_002)
        return Ed25519.PrivateKey(using: &random)
    }()
    let knocker = Agent(seed: 1_003)

    var certificate: OwnerCertificate {
        OwnerCertificate.issue(
            owner: owner,
            agent: knocker.key,
            serial: 3,
            issuedAt: epoch - .seconds(60),
            expiresAt: epoch + .seconds(86_400)
        )
    }

    func revocation(serial: UInt64 = 3, at seconds: Int64 = 0, by key: Ed25519.PrivateKey? = nil) -> OwnerRevocation {
        OwnerRevocation.issue(
            owner: key ?? owner,
            agent: knocker.key,
            serial: serial,
            revokedAt: epoch + .seconds(seconds)
        )
    }

    func list(
        _ revocations: [OwnerRevocation],
        sequence: UInt64 = 1,
        at instant: Timestamp = epoch
    ) throws
        -> OwnerRevocationRecord
    {
        try OwnerRevocationRecord.publishing(revocations, by: owner, sequence: sequence, now: instant)
    }

    var policy: KnockPolicy {
        KnockPolicy(default: .hold, requireOwner: ["task.*": [owner.publicKey.did]], tiers: [.ownerVerified: .accept])
    }

    @Test func theListsEntriesAreTheOwnersRevocations() throws {
        let record = try list([revocation(), revocation(serial: 4, at: 10), revocation(by: otherOwner)])
        #expect(record.entries.count == 2)
        #expect(record.revocations.allSatisfy { $0.isAuthentic })
        #expect(record.revocations.contains { $0.revokes(certificate) })
        #expect(record.expiresAt == epoch + OwnerRevocationRecord.defaultLifetime)
        // Newest first, one per certificate, at most 16.
        let many =
            (0..<20).map { revocation(serial: UInt64(100 + $0), at: Int64($0)) } + [revocation(serial: 119, at: 0)]
        let bounded = try list(many)
        #expect(bounded.entries.count == OwnerRevocationRecord.maximumEntries)
        #expect(bounded.entries.first?.serial == 119)
        #expect(bounded.entries.map(\.serial) == (104...119).reversed().map { UInt64($0) })
    }

    @Test func aRevocationOnlyTheOwnerPublishedRefusesTheKnock() throws {
        // The agent's knock and its own record carry the certificate without the revocation.
        let credentials = OwnerCredentials(certificate: certificate)
        let accepted = policy.judge(
            sender: knocker.key,
            intent: "task.run",
            introducedByContact: false,
            credentials: credentials,
            published: credentials,
            now: epoch
        )
        #expect(accepted.verdict == .accept(rule: "tiers[owner-verified]"))
        let refused = policy.judge(
            sender: knocker.key,
            intent: "task.run",
            introducedByContact: false,
            credentials: credentials,
            published: credentials,
            ownerRevocations: try list([revocation()]).revocations,
            now: epoch
        )
        guard case .reject(let rule) = refused.verdict else {
            Issue.record("not rejected: \(refused.verdict)")
            return
        }
        #expect(rule.hasPrefix("requireOwner[task.*]: revoked:"))
        #expect(refused.tier == .unknown)
    }

    @Test func anEntryWhoseOwnSignatureFailsRevokesNothing() throws {
        var record = try list([revocation()])
        record.entries[0].signature = try Ed25519.Signature(rawRepresentation: [UInt8](repeating: 1, count: 64))
        #expect(!record.revocations.contains { $0.revokes(certificate) })
    }

    @Test func theCacheAsksAgainOnlyWhenAnAnswerIsStale() throws {
        var cache = OwnerRevocationCache()
        let owners: Set = [owner.publicKey, otherOwner.publicKey]
        #expect(Set(cache.owed(owners, now: epoch)) == owners)
        cache.learn(owner: owner.publicKey, record: try list([revocation()]), now: epoch)
        cache.learn(owner: otherOwner.publicKey, record: nil, now: epoch)
        #expect(cache.owed(owners, now: epoch + .seconds(59)).isEmpty)
        #expect(cache.owed(owners, now: epoch + .seconds(60)) == [otherOwner.publicKey])
        #expect(cache.owed(owners, now: epoch + OwnerRevocationCache.freshFor).count == 2)
        #expect(cache.revocations(of: [owner.publicKey]).contains { $0.revokes(certificate) })
        #expect(cache.revocations(of: [otherOwner.publicKey]).isEmpty)
    }

    @Test func aListThatLeavesARevocationOutDoesNotUnrevoke() throws {
        var cache = OwnerRevocationCache()
        cache.learn(owner: owner.publicKey, record: try list([revocation()], sequence: 1), now: epoch)
        let later = epoch + .seconds(400)
        cache.learn(owner: owner.publicKey, record: try list([], sequence: 2, at: later), now: later)
        #expect(cache.revocations(of: [owner.publicKey]).contains { $0.revokes(certificate) })
    }

    @Test func aListFromAnotherOwnerAnExpiredOrAForgedOneTeachesNothing() throws {
        var cache = OwnerRevocationCache()
        let foreign = try OwnerRevocationRecord.publishing(
            [revocation(by: otherOwner)],
            by: otherOwner,
            sequence: 1,
            now: epoch
        )
        cache.learn(owner: owner.publicKey, record: foreign, now: epoch)
        cache.learn(owner: owner.publicKey, record: try list([revocation()]), now: epoch + .seconds(7_200))
        var forged = try list([revocation()])
        forged.sequence += 1
        cache.learn(owner: owner.publicKey, record: forged, now: epoch)
        #expect(cache.revocations(of: [owner.publicKey]).isEmpty)
        // Each counted as nothing found: asked again after the short wait.
        #expect(cache.owed([owner.publicKey], now: epoch + OwnerRevocationCache.missingFor) == [owner.publicKey])
    }

    @Test func theCacheHoldsAtMostItsCapacityOfOwners() {
        var cache = OwnerRevocationCache()
        for index in 0..<(OwnerRevocationCache.capacity + 5) {
            var random = SeededRandom(seed: UInt64(2_000 + index))
            cache.learn(
                owner: Ed25519.PrivateKey(using: &random).publicKey,
                record: nil,
                now: epoch + .seconds(Int64(index))
            )
        }
        #expect(cache.entries.count == OwnerRevocationCache.capacity)
    }
}

/// The fuzz seeds for `FuzzOwnerRevocationRecord`, kept current like the other owner seeds
/// (`MESHPEER_WRITE_FUZZ_SEEDS=1` rewrites them).
@Suite struct OwnerRevocationRecordSeedTests {
    var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds/FuzzOwnerRevocationRecord")
    }

    func seeds() throws -> [String: [UInt8]] {
        var random = SeededRandom(seed: 1_010)
        let owner = Ed25519.PrivateKey(using: &random)
        let now = Timestamp(secondsSinceEpoch: 1_796_414_000)
        let revocations = (0..<3).map {
            OwnerRevocation.issue(owner: owner, agent: Agent(seed: 1_011).key, serial: UInt64($0), revokedAt: now)
        }
        let full = try OwnerRevocationRecord.publishing(revocations, by: owner, sequence: 9, now: now)
        let empty = try OwnerRevocationRecord.publishing([], by: owner, sequence: 10, now: now)
        return ["list": full.wireBytes, "empty": empty.wireBytes]
    }

    @Test func theCommittedSeedsAreCurrent() throws {
        if ProcessInfo.processInfo.environment["MESHPEER_WRITE_FUZZ_SEEDS"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in try seeds() {
                try Data(bytes).write(to: folder.appendingPathComponent(name))
            }
        }
        for (name, bytes) in try seeds() {
            let committed = try Data(contentsOf: folder.appendingPathComponent(name))
            #expect([UInt8](committed) == bytes, "seed \(name) is stale")
        }
    }
}
