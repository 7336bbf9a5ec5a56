import Foundation
import MeshCore
import Testing

@testable import MeshPeer

@Suite struct KnockPolicyTests {
    let friend = Agent(seed: 1).identity.did
    let foe = Agent(seed: 2).identity.did
    let stranger = Agent(seed: 3).identity.did

    func decode(_ json: String) throws -> KnockPolicy {
        try JSONDecoder().decode(KnockPolicy.self, from: Data(json.utf8))
    }

    /// The message of the error decoding `json` throws.
    func failure(_ json: String) -> String? {
        do {
            _ = try decode(json)
            return nil
        } catch DecodingError.dataCorrupted(let context) {
            return context.debugDescription
        } catch {
            return "\(error)"
        }
    }

    @Test func rulesApplyInTheirDocumentedPrecedence() {
        let policy = KnockPolicy(
            default: .hold,
            allow: [friend, foe],
            deny: [foe],
            intents: ["task.*": .reject, "task.request": .accept, "x-acme.*": .accept, "x-acme.billing.*": .reject],
            acceptIntroducedByContacts: true
        )
        #expect(policy.decide(sender: foe, intent: "chat.message", introducedByContact: true) == .reject(rule: "deny"))
        #expect(
            policy.decide(sender: friend, intent: "task.cancel", introducedByContact: false) == .accept(rule: "allow")
        )
        #expect(
            policy.decide(sender: stranger, intent: "task.cancel", introducedByContact: true)
                == .accept(rule: "acceptIntroducedByContacts")
        )
        #expect(
            policy.decide(sender: stranger, intent: "task.request", introducedByContact: false)
                == .accept(rule: "intents[task.request]")
        )
        #expect(
            policy.decide(sender: stranger, intent: "task.cancel", introducedByContact: false)
                == .reject(rule: "intents[task.*]")
        )
        #expect(
            policy.decide(sender: stranger, intent: "x-acme.billing.pay", introducedByContact: false)
                == .reject(rule: "intents[x-acme.billing.*]")
        )
        #expect(
            policy.decide(sender: stranger, intent: "x-acme.chat", introducedByContact: false)
                == .accept(rule: "intents[x-acme.*]")
        )
        #expect(
            policy.decide(sender: stranger, intent: "chat.message", introducedByContact: false)
                == .hold(rule: "default")
        )
        // An introduction counts only when the owner turned it on.
        var off = policy
        off.acceptIntroducedByContacts = false
        #expect(
            off.decide(sender: stranger, intent: "chat.message", introducedByContact: true) == .hold(rule: "default")
        )
    }

    @Test func aPolicyFileDecodesWithDefaultsForMissingKeys() throws {
        #expect(try decode("{}") == KnockPolicy())
        #expect(KnockPolicy().default == .hold)
        #expect(KnockPolicy().difficulty == 12)
        let policy = try decode(
            """
            {"default": "accept", "deny": ["\(foe)"], "intents": {"x-acme.*": "hold"},
             "acceptIntroducedByContacts": true, "difficulty": 16}
            """
        )
        #expect(policy.default == .accept)
        #expect(policy.deny == [foe])
        #expect(policy.intents == ["x-acme.*": .hold])
        #expect(policy.acceptIntroducedByContacts)
        #expect(policy.difficulty == 16)
        let encoded = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(KnockPolicy.self, from: encoded) == policy)
    }

    @Test func aTypoIsAnErrorThatNamesTheKey() {
        let message = failure(#"{"defualt": "accept"}"#)
        #expect(message?.contains("unknown key `defualt`") == true)
        #expect(failure(#"{"default": "maybe"}"#) != nil)
        #expect(failure(#"{"allow": ["bob"]}"#) == "`allow`: \"bob\" is not a did:key")
        #expect(
            failure(#"{"intents": {"Task.*": "accept"}}"#)
                == "`intents`: \"Task.*\" is neither an intent name nor a namespace ending in `.*`"
        )
        #expect(failure(#"{"intents": {"*": "accept"}}"#) != nil)
        #expect(failure(#"{"difficulty": 25}"#) == "`difficulty` is at most 24 bits, not 25")
        #expect(failure(#"{"difficulty": 300}"#) != nil)
    }
}
