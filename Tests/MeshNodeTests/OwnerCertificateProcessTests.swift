import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

/// Owner certificates with real `meshpeer run` nodes, a real relay and a real bootstrap node on 127.0.0.1, and real
/// `meshpeer owner` commands (decision 0093). The gate's policy requires a certificate from owner O for `task.*`:
/// it refuses a knock without one, accepts one O certified (the knocker becomes an owner-verified contact), and
/// refuses an expired one, one O revoked (the revocation published in the knocker's record, not sent with the knock),
/// one copied from another agent, and a forged one, each with its reason on the refused knock, in the audit log, and (for the
/// knocker) in the decision it gets back. One more ("hidden") is revoked only in the owner's own DHT record (decision
/// 0100): its own record and its knock leave the revocation out, and the gate still refuses it.
@Suite(.serialized)
struct OwnerCertificateProcessTests {
    /// Runs `meshpeer owner …` and returns its JSON output line.
    func owner(_ mesh: LocalMesh, _ arguments: [String]) async throws -> [String: Any] {
        let name = "owner-\(arguments[0])-\(UUID().uuidString.prefix(8))"
        let process = try ChildProcess(
            name: name,
            executable: TestMesh.binary,
            arguments: ["owner"] + arguments + ["--owner-home", mesh.root + "/owner", "--json"],
            logPath: mesh.root + "/\(name).log"
        )
        let line = try await process.waitForLine(timeout: .seconds(30)) { $0.hasPrefix("{") }
        let status = await process.exitStatus(timeout: .seconds(30))
        guard status == 0 else {
            throw TestFailure("`meshpeer owner \(arguments[0])` exited \(status); see \(process.logPath)")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("`meshpeer owner \(arguments[0])` printed \(line)")
        }
        return object
    }

    @Test func aPolicyThatRequiresAnOwnerCertificateAdmitsOnlyAValidOne() async throws {
        let mesh = try TestMesh.make("owner")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try FileManager.default.createDirectory(atPath: mesh.root, withIntermediateDirectories: true)
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            guard let ownerDID = try await owner(mesh, ["init"])["owner"] as? String else {
                throw TestFailure("`owner init` named no owner")
            }
            try await mesh.prepareAgent(
                "gate",
                card: TestMesh.card("Gate", skills: ["gate"]),
                policy: [
                    "default": "hold", "requireOwner": ["task.*": [ownerDID]], "tiers": ["owner-verified": "accept"],
                ],
                relays: [relay]
            )
            let knockers = ["bare", "good", "stale", "revoked", "thief", "forged", "hidden"]
            for name in knockers {
                try await mesh.prepareAgent(
                    name,
                    card: TestMesh.card(name, skills: [name]),
                    policy: [:],
                    relays: [relay]
                )
            }
            let now = Int64(Date().timeIntervalSince1970)
            _ = try await owner(mesh, ["certify", "--agent-home", mesh.home("good")])
            _ = try await owner(
                mesh,
                [
                    "certify", "--agent-home", mesh.home("stale"), "--issued-at", "\(now - 7_200)", "--expires-at",
                    "\(now - 3_600)",
                ]
            )
            _ = try await owner(mesh, ["certify", "--agent-home", mesh.home("revoked")])
            let revocation = try await owner(mesh, ["revoke", "--agent-home", mesh.home("revoked")])
            #expect(revocation["file"] as? String == OwnerCredentialsFile.revocationsPath(home: mesh.home("revoked")))
            // Revoked by the owner through the DHT alone: nothing is written into hidden's data directory.
            let hidden = try await owner(mesh, ["certify", "--agent-home", mesh.home("hidden")])
            let hiddenRevocation = try await owner(
                mesh,
                [
                    "revoke", "--agent", try #require(hidden["agent"] as? String), "--serial",
                    try #require(hidden["serial"] as? String), "--bootstrap", mesh.bootstrapAddress,
                ]
            )
            #expect((hiddenRevocation["published"] as? Int ?? 0) > 0)
            #expect(hiddenRevocation["file"] == nil)
            #expect(
                !FileManager.default.fileExists(atPath: OwnerCredentialsFile.revocationsPath(home: mesh.home("hidden")))
            )
            // The forger's certificate has one bit of its signature flipped.
            _ = try await owner(mesh, ["certify", "--agent-home", mesh.home("forged")])
            let forgedPath = OwnerCredentialsFile.certificatePath(home: mesh.home("forged"))
            var forgedBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: forgedPath)))
            forgedBytes[forgedBytes.count - 1] ^= 1
            try SecureFile.replace(at: forgedPath, contents: forgedBytes)
            // The thief presents good's certificate as its own.
            try FileManager.default.copyItem(
                atPath: OwnerCredentialsFile.certificatePath(home: mesh.home("good")),
                toPath: OwnerCredentialsFile.certificatePath(home: mesh.home("thief"))
            )
            try await mesh.startAgent("gate")
            for name in knockers { try await mesh.startAgent(name) }

            let gate = try mesh.client("gate")
            let gateDID = try await gate.status().did
            var dids: [String: String] = [:]
            for name in knockers {
                let client = try mesh.client(name)
                dids[name] = try await client.status().did
                _ = try await TestMesh.eventually("the gate's record, seen by \(name)", timeout: .seconds(60)) {
                    try await client.find(.did(gateDID)).first
                }
                // Knocks carry the certificate only; the revocation reaches the gate through this record.
                let did = try #require(dids[name])
                _ = try await TestMesh.eventually("\(name)'s record, seen by the gate", timeout: .seconds(60)) {
                    try await gate.find(.did(did)).first
                }
                _ = try await client.knock(KnockRequest(to: gateDID, intent: "task.request", purpose: "from \(name)"))
            }
            let incoming = try await TestMesh.eventually("the gate to decide all seven knocks") {
                () async throws -> [String: KnockSummary]? in
                let decided = try await gate.knocks().filter { $0.direction == "incoming" && $0.decidedAt != nil }
                let byPeer = Dictionary(decided.map { ($0.peer, $0) }) { first, _ in first }
                return byPeer.count == knockers.count ? byPeer : nil
            }
            let expected: [String: String?] = [
                "bare": "missing", "good": nil, "stale": "expired", "revoked": "revoked", "thief": "other-agent",
                "forged": "forged", "hidden": "revoked",
            ]
            let audit = try await gate.audit(limit: 100).entries.filter { $0.kind == "knock.received" }
            for name in knockers {
                let did = try #require(dids[name])
                let knock = try #require(incoming[did])
                let entry = audit.first { $0.peer == did }
                if let code = expected[name] ?? nil {
                    #expect(knock.state == "rejected", "\(name): \(knock.state)")
                    #expect(knock.reason?.hasPrefix(code + ":") == true, "\(name): \(knock.reason ?? "no reason")")
                    #expect(entry?.detail["rule"]?.hasPrefix("requireOwner[task.*]: \(code):") == true, "\(name)")
                    #expect(entry?.detail["state"] == "rejected")
                } else {
                    #expect(knock.state == "accepted", "\(name): \(knock.state) \(knock.reason ?? "")")
                    #expect(entry?.detail["certificate"] == "verified by \(ownerDID)")
                    #expect(entry?.detail["tier"] == "owner-verified")
                }
            }
            let contacts = try await gate.contacts()
            #expect(contacts.map(\.did) == [dids["good"]])
            #expect(contacts.first?.tier == .ownerVerified)
            // The refused knocker learns why (its owner can act on it).
            let stale = try mesh.client("stale")
            let answer = try await TestMesh.eventually("stale's knock to be answered") {
                try await stale.knocks().first { $0.direction == "outgoing" && $0.state == "rejected" }
            }
            #expect(answer.reason == "owner certificate refused: expired")
            #expect(try await gate.verifyAudit().ok)
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}
