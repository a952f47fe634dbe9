import Foundation
import Testing
import TurnoverCore

@Suite("PSA settings and what goes back to the ticket")
struct PSAWriteBackTests {
    static let yaml = """
        psa:
          connection: halo-main
          company: "12"
          board: "3"
          newStatuses: ["1", "21"]
          poll: true
          statuses: {submitted: "2", completed: "9", failed: "4"}
          time: {member: "7", role: "29683"}
          deactivateContact: true
        """

    @Test("the psa section parses; one without a company is refused, as is an unknown event, with their lines")
    func parse() throws {
        let settings = try #require(try Policy.parse(yaml: Self.yaml).psa)
        #expect(settings.connection == "halo-main" && settings.company == "12" && settings.board == "3")
        #expect(settings.newStatuses == ["1", "21"] && settings.poll)
        #expect(settings.statuses == [.submitted: "2", .completed: "9", .failed: "4"])
        #expect(settings.timeMember == "7" && settings.timeRole == "29683")

        do {
            _ = try Policy.parse(
                yaml: """
                    psa:
                      connection: halo main
                      poll: true
                      statuses: {finished: "9"}
                    """)
            Issue.record("the policy should be refused")
        } catch {
            let messages = error.problems.map(\.description)
            #expect(messages.contains { $0.hasPrefix("line 2:") && $0.contains("connection's name") }, "\(messages)")
            #expect(messages.contains { $0.hasPrefix("line 4:") && $0.contains("'finished' is not an event") }, "\(messages)")
            #expect(messages.contains { $0.contains("psa needs 'company'") }, "\(messages)")
            #expect(messages.contains { $0.contains("psa.poll needs 'board'") }, "\(messages)")
        }
    }

    @Test("submission: a note with the plan and the mapped status; nothing else")
    func submitted() throws {
        let settings = try #require(try Policy.parse(yaml: Self.yaml).psa)
        let request = ApprovalTests.request()
        let content = NotificationContent.make(event: .submitted, request: request, link: "https://turnover.example/offboardings/o-1")
        let actions = PSAWriteBack.actions(for: .submitted, request: request, run: nil, settings: settings, content: content)
        #expect(actions.map(\.action) == ["note", "status"])
        guard case .note(let title, let text, let html) = actions[0] else {
            Issue.record("a note first")
            return
        }
        #expect(title.contains(request.plan.user.displayName))
        #expect(text.contains(Report.planText(request.plan)), "the note carries the plan as the CLI prints it")
        #expect(html.contains("<pre>") && !html.contains("<script"))
        #expect(actions[1] == .status("2"))
        // Approval needed is the e-mail's business: the ticket already has the submission's note.
        #expect(PSAWriteBack.actions(for: .approvalNeeded, request: request, run: nil, settings: settings, content: content).isEmpty)
    }

    @Test("a finished run: note with the report, status, time for the member, the contact, the evidence; a failed run keeps the contact")
    func finished() throws {
        let settings = try #require(try Policy.parse(yaml: Self.yaml).psa)
        let request = ApprovalTests.request()
        var run = RunRecord(id: "r-1", plan: request.plan, snapshot: request.snapshot, createdAt: Leaver.now, operator_: "ada")
        run.startedAt = Leaver.now
        run.finishedAt = Leaver.now.addingTimeInterval(12)
        let content = NotificationContent.make(event: .completed, request: request, link: nil)
        let actions = PSAWriteBack.actions(for: .completed, request: request, run: run, settings: settings, content: content)
        #expect(actions.map(\.action) == ["note", "status", "time", "contact", "evidence"])
        if case .note(_, let text, _) = actions[0] { #expect(text.contains(Report.summary(run))) }
        if case .time(let start, let end, _, let member, let role) = actions[2] {
            #expect(member == "7" && role == "29683")
            #expect(end.timeIntervalSince(start) == 60, "a 12-second run is entered as the PSA's smallest unit, a minute")
        }
        #expect(actions[3] == .deactivateContact(email: request.userPrincipalName, company: "12"))
        #expect(actions[4] == .attachEvidence(request.id))

        let failed = PSAWriteBack.actions(
            for: .failed, request: request, run: run, settings: settings,
            content: NotificationContent.make(event: .failed, request: request, link: nil))
        #expect(failed.map(\.action) == ["note", "status", "time", "evidence"], "access may not be cut: the contact stays")

        // Without settings (the policy no longer names the ticket's connection): notes only.
        let bare = PSAWriteBack.actions(for: .completed, request: request, run: run, settings: nil, content: content)
        #expect(bare.map(\.action) == ["note"])
        // An earlier stage of a timeline: its end does not close the ticket.
        let earlier = PSAWriteBack.actions(
            for: .completed, request: request, run: run, settings: settings, content: content, isLastStage: false)
        #expect(earlier.map(\.action) == ["note", "time", "contact", "evidence"])
    }
}
