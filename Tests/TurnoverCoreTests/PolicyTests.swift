import Foundation
import Testing
import TurnoverCore

@Suite("Policy templates")
struct PolicyTests {
    @Test("a full template parses")
    func parses() throws {
        let policy = try Policy.parse(
            yaml: """
                name: hr-leavers
                steps: [block-sign-in, revoke-sessions, convert-to-shared, delegate-mailbox, forwarding, remove-licences]
                delegate: nina.ortiz@contoso.com
                forwarding: {to: manager, keepCopy: false}
                autoReply: {internal: "{displayName} has left.", external: "Please write to {delegateEmail}."}
                successor: nina.ortiz@contoso.com
                keepLicences: [SPE_E5]
                breakGlass: [breakglass01@contoso.onmicrosoft.com]
                """)
        #expect(policy.name == "hr-leavers")
        #expect(
            policy.steps == [
                "block-sign-in", "revoke-sessions", "convert-to-shared", "grant-mailbox-access", "forwarding", "remove-licences",
            ])
        #expect(policy.delegate == .user("nina.ortiz@contoso.com"))
        #expect(policy.forwardingTo == .manager && policy.forwardingKeepCopy == false)
        #expect(policy.autoReplyExternal == "Please write to {delegateEmail}.")
        #expect(policy.keepLicences == ["SPE_E5"] && policy.breakGlass == ["breakglass01@contoso.onmicrosoft.com"])
    }

    @Test("further Full Access delegates, each with its automapping, from YAML and from --set")
    func fullAccess() throws {
        let policy = try Policy.parse(
            yaml: "fullAccess: [ops@contoso.com, {user: legal@contoso.com, autoMapping: false}, hr@contoso.com:noautomap]\n")
        #expect(
            policy.fullAccess == [
                .init(user: "ops@contoso.com"), .init(user: "legal@contoso.com", autoMapping: false),
                .init(user: "hr@contoso.com", autoMapping: false),
            ])
        #expect(throws: PolicyErrors.self) { try Policy.parse(yaml: "name: x\nfullAccess: [nobody]\n") }
        do {
            _ = try Policy.parse(yaml: "name: x\nfullAccess: [nobody]\n")
        } catch {
            #expect(error.problems.first?.line == 2, "\(error)")
        }
        var overridden = Policy()
        try overridden.apply(overrides: ["fullAccess=a@contoso.com:noautomap, b@contoso.com"])
        #expect(overridden.fullAccess == [.init(user: "a@contoso.com", autoMapping: false), .init(user: "b@contoso.com")])
        #expect(throws: PolicyErrors.self) { try overridden.apply(overrides: ["fullAccess=a@contoso.com:sometimes"]) }
    }

    @Test("every problem is reported with its line")
    func problemsNameTheLine() {
        let yaml = """
            name: broken
            steps:
              - block-sign-in
              - delete-everything
            delegate: nobody
            colour: blue
            """
        #expect {
            _ = try Policy.parse(yaml: yaml)
        } throws: { error in
            guard let errors = error as? PolicyErrors else { return false }
            let lines = errors.problems.compactMap(\.line)
            return errors.problems.count == 3 && lines == [4, 5, 6] && errors.description.contains("unknown step 'delete-everything'")
        }
    }

    @Test("the review date of a kept mailbox is set by the policy")
    func retention() throws {
        #expect(try Policy.parse(yaml: "retainMailboxDays: 30").retainMailboxDays == 30)
        #expect(try Policy.parse(yaml: "retainMailboxDays: none").retainMailboxDays == nil)
        #expect { _ = try Policy.parse(yaml: "name: x\nretainMailboxDays: soon") } throws: { error in
            (error as? PolicyErrors)?.problems.map(\.line) == [2]
        }
    }

    @Test("invalid YAML is refused with a line")
    func invalidYAML() {
        #expect {
            _ = try Policy.parse(yaml: "name: x\nsteps: [block-sign-in\n")
        } throws: { error in
            (error as? PolicyErrors)?.problems.first?.line != nil
        }
    }

    @Test("command-line overrides apply on top and unknown keys are refused")
    func overrides() throws {
        var policy = Policy()
        try policy.apply(overrides: ["successor=nina@contoso.com", "keepLicences=SPE_E3, VISIOCLIENT", "delegate=none"])
        #expect(policy.successor == "nina@contoso.com")
        #expect(policy.keepLicences == ["SPE_E3", "VISIOCLIENT"])
        #expect(policy.delegate == Policy.Recipient.none)
        #expect(throws: PolicyErrors.self) { try policy.apply(overrides: ["favourite=blue"]) }
        #expect(throws: PolicyErrors.self) { try policy.apply(overrides: ["successor"]) }
    }

    @Test("out-of-office placeholders are filled")
    func placeholders() {
        let text = Placeholders.fill("{displayName} has left; contact {delegate}.", values: ["displayName": "Ben", "delegate": "Kate"])
        #expect(text == "Ben has left; contact Kate.")
    }
}

@Suite("The README's policy")
struct ReadmePolicyTests {
    @Test("the README's example policy parses and lists every step that destroys nothing")
    func readmePolicyShowsEveryStep() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "```yaml\nname: standard"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let yaml = String(text[text.index(start.lowerBound, offsetBy: "```yaml\n".count)..<end.lowerBound])
        let policy = try Policy.parse(yaml: yaml)
        #expect(
            Set(policy.steps) == Set(StepRegistry.nonDestructivePolicyNames),
            "\(Set(StepRegistry.nonDestructivePolicyNames).subtracting(policy.steps))")
    }

    @Test("a staged timeline parses with its offsets; stages out of order, without steps or with unknown steps are refused")
    func stages() throws {
        let policy = try Policy.parse(
            yaml: """
                stages:
                  - {name: contain, after: 0, steps: [block-sign-in, convert-to-shared]}
                  - {name: licences, after: 7d, steps: [remove-licences]}
                  - {name: delete, after: 30, steps: delete-user}
                """)
        #expect(policy.stages.map(\.name) == ["contain", "licences", "delete"])
        #expect(policy.stages.map(\.after) == [0, 7 * 86_400, 30 * 86_400])
        #expect(policy.stages.map(\.label) == ["T", "T + 7 days", "T + 30 days"])
        #expect(policy.stages[1].stepsOverride == "steps=remove-licences")
        do {
            _ = try Policy.parse(
                yaml: """
                    stages:
                      - {name: late, after: 2d, steps: [block-sign-in]}
                      - {name: early, after: 1d, steps: [frobnicate]}
                      - {name: empty, after: 3d, steps: []}
                    """)
            Issue.record("the timeline should be refused")
        } catch {
            let messages = error.problems.map(\.message)
            #expect(messages.contains("the first stage is at T: its after is 0"))
            #expect(messages.contains("stage 'early' must come after stage 'late'"))
            #expect(messages.contains("unknown step 'frobnicate' in a stage"))
            #expect(messages.contains("stage 'empty' has no steps"))
        }
    }
}
