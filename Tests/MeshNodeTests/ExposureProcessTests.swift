import Foundation
import GRDB
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

/// Exposure levels with real `meshpeer run` nodes, a real relay and a real bootstrap node on 127.0.0.1
/// (docs/exposure.md): an unlisted agent is found by DID and never by capability; a private agent only with a
/// valid invite, a revoked invite stops working, and a DHT node storing the sealed record cannot read the card.
@Suite(.serialized)
struct ExposureProcessTests {
    @Test func anUnlistedAgentIsFoundByDIDButNeverByCapability() async throws {
        let mesh = try TestMesh.make("unlisted")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            let shared = "exposure-probe"
            try await mesh.prepareAgent(
                "quiet",
                card: TestMesh.card("Quiet", skills: [shared]),
                policy: [:],
                relays: [relay],
                extra: ["exposure": "unlisted"]
            )
            // The control: a listed agent with the same skill, so "not found by capability" cannot pass vacuously.
            try await mesh.prepareAgent(
                "loud",
                card: TestMesh.card("Loud", skills: [shared]),
                policy: [:],
                relays: [relay]
            )
            try await mesh.prepareAgent(
                "seeker",
                card: TestMesh.card("Seeker", skills: ["seek"]),
                policy: [:],
                relays: [relay]
            )
            for name in ["quiet", "loud", "seeker"] { try await mesh.startAgent(name) }
            let seeker = try mesh.client("seeker")
            let quietStatus = try await mesh.client("quiet").status()
            let loudDID = try await mesh.client("loud").status().did
            #expect(quietStatus.exposure == .unlisted)
            #expect(quietStatus.nodeID == NodeID(publicKey: try DIDKey.decode(quietStatus.did)).hex)
            #expect(try await seeker.status().exposure == .listed)

            let found = try await TestMesh.eventually("the unlisted agent by DID", timeout: .seconds(60)) {
                try await seeker.find(.did(quietStatus.did)).first
            }
            #expect(found.did == quietStatus.did)
            #expect(found.card["name"]?.stringValue == "Quiet")
            _ = try await TestMesh.eventually("the listed agent by capability", timeout: .seconds(60)) {
                try await seeker.find(.capability(shared)).first { $0.did == loudDID }
            }
            // Both have published (one found by DID, the other by capability): the unlisted one is not a provider.
            let providers = try await seeker.find(.capability(shared)).map(\.did)
            #expect(providers == [loudDID])
            let quietMetrics = try await mesh.client("quiet").metrics()
            #expect(!quietMetrics.isEmpty)
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }

    @Test func aPrivateAgentIsFoundOnlyWithAValidInvite() async throws {
        let mesh = try TestMesh.make("private")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            let name = "Hidden Helper 7f3a"
            let description = "Answers only the people its owner told about it, qx9."
            var card = TestMesh.card(name, skills: ["hidden-skill"])
            card["description"] = description
            try await mesh.prepareAgent(
                "hidden",
                card: card,
                policy: ["default": "hold"],
                relays: [relay],
                extra: ["exposure": "private"]
            )
            try await mesh.prepareAgent(
                "friend",
                card: TestMesh.card("Friend", skills: ["f"]),
                policy: [:],
                relays: [relay]
            )
            try await mesh.prepareAgent(
                "other",
                card: TestMesh.card("Other", skills: ["o"]),
                policy: [:],
                relays: [relay]
            )
            for agent in ["hidden", "friend", "other"] { try await mesh.startAgent(agent) }
            let hidden = try mesh.client("hidden")
            let friend = try mesh.client("friend")
            let other = try mesh.client("other")
            let hiddenStatus = try await hidden.status()
            #expect(hiddenStatus.exposure == .private)
            let did = hiddenStatus.did
            // Its DHT node signs with a key of its own, so DHT peers never see the identity's node ID.
            let identityNodeID = NodeID(publicKey: try DIDKey.decode(did))
            #expect(hiddenStatus.nodeID != identityNodeID.hex)

            // Two invites; the friend gets the first, the other agent the second.
            let first = try await hidden.createInvite(InviteCreateRequest(label: "friend"))
            let second = try await hidden.createInvite(InviteCreateRequest(label: "other", expiresInSeconds: 3_600))
            let firstText = try #require(first.invite)
            let secondText = try #require(second.invite)
            #expect(try await hidden.invites().map(\.invite) == [nil, nil])
            #expect(try await hidden.invites().map(\.state) == ["active", "active"])

            let viaInvite = try await TestMesh.eventually("the private agent through the invite", timeout: .seconds(60))
            {
                try? await friend.resolveInvite(firstText)
            }
            #expect(viaInvite.did == did)
            #expect(viaInvite.card["name"]?.stringValue == name)
            // Without an invite: not by DID, not by capability; a forged invite (right DID, made-up secret) finds
            // nothing and a mistyped one is refused before any lookup.
            await #expect(throws: NodeAPIError.self) { _ = try await other.find(.did(did)) }
            #expect(try await other.find(.capability("hidden-skill")).isEmpty)
            var random = SystemRandom()
            let forged = try Invite.make(for: try DIDKey.decode(did), expiresAt: nil, random: &random)
            await expectRefusal(.notFound) { _ = try await other.resolveInvite(forged.text) }
            var typo = Array(firstText)
            typo[typo.count - 5] = typo[typo.count - 5] == "2" ? "3" : "2"
            await expectRefusal(.badRequest) { _ = try await other.resolveInvite(String(typo)) }
            await expectRefusal(.badRequest) { _ = try await other.resolveInvite("meshpeer:invite:v1:") }

            // Knocks still apply: the friend can knock now, and the private agent's policy (hold) decides.
            _ = try await friend.knock(KnockRequest(to: did, intent: "chat.message", purpose: "hello via invite"))
            let held = try await TestMesh.eventually("the knock held at the private agent") {
                try await hidden.knocks().first { $0.direction == "incoming" && $0.state == "held" }
            }
            // The owner approves; then a message reaches the private agent like any other.
            _ = try await hidden.decide(knock: held.id, accept: true)
            _ = try await TestMesh.eventually("the friend to become a contact") {
                try await friend.contacts().first { $0.did == did }
            }
            let sent = try await friend.send(
                SendRequest(to: did, intent: "chat.message", body: .object(["text": .string("found you")]))
            )
            let received = try await TestMesh.eventually("the message at the private agent") {
                try await hidden.messages(after: 0, limit: 10, wait: .seconds(1)).messages.first
            }
            #expect(received.id == sent.id)

            // A DHT node that stores the sealed record cannot read the card: the other agent's DHT database holds
            // the record (the slot key is in it) but neither the name, the description nor the DID.
            let slotKey = InviteSlot(try Invite.parse(firstText)).slotKey.rawRepresentation
            let stored = try await TestMesh.eventually("the sealed record in other's DHT store") {
                try storedSealedRecords(mesh.home("other") + "/dht.sqlite")?.first { $0.contains(slotKey) }
            }
            #expect(stored.count > 500)
            let files = ["", "-wal"].compactMap {
                FileManager.default.contents(atPath: mesh.home("other") + "/dht.sqlite" + $0)
            }
            let everything = files.reduce(into: [UInt8]()) { $0 += [UInt8]($1) }
            #expect(everything.contains(slotKey))
            for secret in [name, description, did, "qx9"] {
                #expect(!everything.contains(Array(secret.utf8)), "\(secret) is readable in a storer's database")
            }
            #expect(!everything.contains(try DIDKey.decode(did).rawRepresentation))
            #expect(!everything.contains(identityNodeID.bytes))

            // Revoking the first invite: it stops working well within one record lifetime (a tombstone replaces
            // it at once), using it again is refused, and the second invite keeps working.
            _ = try await hidden.revokeInvite(id: first.id)
            #expect(try await hidden.invites().map(\.state) == ["revoked", "active"])
            let refusal: NodeAPIError = try await TestMesh.eventually(
                "the revoked invite to stop working",
                timeout: .seconds(130)
            ) { () async throws -> NodeAPIError? in
                do {
                    _ = try await friend.resolveInvite(firstText)
                    return nil
                } catch let error as NodeAPIError {
                    return error
                }
            }
            #expect(refusal.code == .forbidden || refusal.code == .notFound)
            await #expect(throws: NodeAPIError.self) { _ = try await friend.resolveInvite(firstText) }
            let still = try await other.resolveInvite(secondText)
            #expect(still.did == did)
            await expectRefusal(.conflict) { _ = try await hidden.revokeInvite(id: first.id) }
            await expectRefusal(.notFound) { _ = try await hidden.revokeInvite(id: "0123456789ab") }

            // The same through the CLI: create and list on the owner's side, find with the invite on the peer's.
            let made = try await cli(["invite", "create", "--home", mesh.home("hidden"), "--label", "cli", "--json"])
            #expect(made.status == 0)
            let created = try JSONDecoder().decode(InviteSummary.self, from: Data(made.output.utf8))
            let cliText = try #require(created.invite)
            let listed = try await cli(["invite", "list", "--home", mesh.home("hidden"), "--json"])
            let states = try JSONDecoder().decode([InviteSummary].self, from: Data(listed.output.utf8))
            #expect(states.map(\.state) == ["revoked", "active", "active"])
            #expect(!listed.output.contains("meshpeer:invite:"))
            let foundByCLI = try await TestMesh.eventually("the agent through the CLI's invite") {
                let run = try await cli(["find", "--invite", cliText, "--home", mesh.home("other"), "--json"])
                return run.status == 0 ? run.output : nil
            }
            #expect(foundByCLI.contains(did))
            let refused = try await cli(["invite", "resolve", String(typo), "--home", mesh.home("other")])
            #expect(refused.status != 0)
            #expect(refused.output.contains("bad-checksum"))
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }

    /// Runs the `meshpeer` binary to its end; stdout and stderr together.
    func cli(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestMesh.binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, output)
    }

    func expectRefusal(
        _ code: NodeAPIError.Code,
        _ body: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await body()
            Issue.record("expected a \(code.rawValue) refusal", sourceLocation: sourceLocation)
        } catch let error as NodeAPIError {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    /// The bytes of every sealed record (type 4) a node's DHT store holds, read with SQLite as any storer could.
    func storedSealedRecords(_ path: String) throws -> [[UInt8]]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let rows = try queue.read { db in try Data.fetchAll(db, sql: "SELECT bytes FROM record WHERE type = 4") }
        return rows.isEmpty ? nil : rows.map { [UInt8]($0) }
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var index = 0
        while let start = self[index...].firstIndex(of: first), start + needle.count <= count {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
            index = start + 1
        }
        return false
    }
}
