import Foundation
import Testing
import TurnoverCore

@Suite("Notification routes, content and retries")
struct NotificationTests {
    @Test("a policy's routes parse: events, recipients, webhook and Teams URLs")
    func routesParse() throws {
        let policy = try Policy.parse(
            yaml: """
                notifications:
                  contact: it@fabrikam.example
                  routes:
                    - on: [approval-needed]
                      email: [approvers]
                    - on: [completed, failed]
                      email: [submitter, manager, contact, audit@msp.example]
                    - on: all
                      webhook: https://hooks.msp.example/turnover
                    - on: failed
                      teams: https://prod-01.westeurope.logic.azure.com/workflows/abc
                """)
        let routes = policy.notifications.routes
        #expect(policy.notifications.contact == "it@fabrikam.example")
        #expect(routes.count == 4)
        #expect(routes[0].events == [.approvalNeeded] && routes[0].email == [.approvers])
        #expect(routes[1].email == [.submitter, .manager, .contact, .address("audit@msp.example")])
        #expect(routes[2].events == Set(NotificationEvent.allCases))
        #expect(routes[2].webhook?.host == "hooks.msp.example")
        #expect(routes[3].teams?.absoluteString == "https://prod-01.westeurope.logic.azure.com/workflows/abc")
    }

    @Test("a wrong route is refused with its line: unknown event, bad recipient, plain http elsewhere, no contact")
    func routeProblems() {
        do {
            _ = try Policy.parse(
                yaml: """
                    notifications:
                      routes:
                        - on: [finished]
                          email: [boss]
                        - on: all
                          webhook: http://hooks.msp.example/turnover
                        - on: completed
                          email: [contact]
                    """)
            Issue.record("the policy should be refused")
        } catch {
            let messages = error.problems.map(\.description)
            #expect(messages.contains { $0.hasPrefix("line 3:") && $0.contains("unknown event 'finished'") })
            #expect(messages.contains { $0.hasPrefix("line 4:") && $0.contains("'boss' is not a recipient") })
            #expect(messages.contains { $0.hasPrefix("line 6:") && $0.contains("must use https") })
            #expect(messages.contains { $0.contains("notifications.contact is not set") })
        }
    }

    @Test("plain http is allowed to this machine only")
    func loopbackWebhook() throws {
        #expect(throws: Never.self) { try WebhookAddress.check("http://127.0.0.1:9000/hook").get() }
        #expect(throws: WebhookAddress.Refusal.self) { try WebhookAddress.check("http://10.0.0.5/hook").get() }
        #expect(throws: WebhookAddress.Refusal.self) { try WebhookAddress.check("not a url").get() }
    }

    @Test("a failed attempt is retried with growing waits, then given up; a permanent refusal is not retried")
    func backoff() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var delivery = NotificationDelivery(
            id: "d-1", sourceSequence: 1, tenant: "contoso", offboarding: "o-1", event: .completed, channel: .webhook,
            target: "https://hooks.msp.example", createdAt: start)
        var waits: [TimeInterval] = []
        var at = start
        while delivery.status == .pending {
            delivery.record(.init(at: at, succeeded: false, code: 503, detail: "503"), permanent: false)
            if let next = delivery.nextAttemptAt {
                waits.append(next.timeIntervalSince(at))
                at = next
            }
        }
        #expect(waits == NotificationDelivery.backoff)
        #expect(delivery.status == .failed && delivery.attempts.count == NotificationDelivery.backoff.count + 1)

        var refused = NotificationDelivery(
            id: "d-2", sourceSequence: 1, tenant: "contoso", offboarding: "o-1", event: .completed, channel: .email,
            target: "nobody@contoso.example", createdAt: start)
        refused.record(.init(at: start, succeeded: false, code: 550, detail: "550 no such user"), permanent: true)
        #expect(refused.status == .failed && refused.nextAttemptAt == nil)

        var delivered = refused
        delivered.status = .pending
        delivered.record(.init(at: start, succeeded: true, code: 250, detail: "queued"), permanent: false)
        #expect(delivered.status == .delivered && delivered.nextAttemptAt == nil)
    }

    @Test("the content names the leaver and the approvers; the manager's copy says who keeps what; HTML is escaped")
    func content() throws {
        var request = ApprovalTests.request()
        try request.approve(by: "ada", planHash: "hash-1", comment: nil, at: Leaver.now)
        let approved = NotificationContent.make(event: .approved, request: request, link: "https://turnover.example/offboardings/o-1")
        #expect(approved.headline == "Offboarding of \(request.plan.user.displayName) approved by ada")
        #expect(approved.text(withKeeping: false).contains("https://turnover.example/offboardings/o-1"))
        #expect(!approved.text(withKeeping: false).contains("Who keeps what"))
        // The sample plan keeps the mailbox and delegates it, so there is a who-keeps-what to tell the manager.
        let firstKept = try #require(approved.keeping.first)
        #expect(approved.text(withKeeping: true).contains("Who keeps what:\n- \(firstKept)"))
        #expect(approved.keeping == request.plan.retention, "the plan's own retention lines, not a second summary")

        var hostile = request
        hostile.rejection = .init(operator_: "ada", at: Leaver.now, planHash: nil, comment: "<script>alert(1)</script>")
        let rejected = NotificationContent.make(event: .rejected, request: hostile, link: nil)
        #expect(rejected.html(withKeeping: false).contains("&lt;script&gt;") && !rejected.html(withKeeping: false).contains("<script>"))

        let partial = NotificationContent.make(event: .partial, request: request, failures: ["Remove licences: 403"], link: nil)
        #expect(partial.headline.hasSuffix("1 step(s) need attention"))
        #expect(partial.lines.contains("Needs attention: Remove licences: 403"))
    }

    @Test("the Teams message is one Adaptive Card with no null fields, and an approval card opens the page")
    func teamsCard() throws {
        let content = NotificationContent.make(
            event: .approvalNeeded, request: ApprovalTests.request(), link: "https://turnover.example/offboardings/o-1?link=1.ab")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TeamsMessage(content: content))) as? [String: Any]
        let attachment = (json?["attachments"] as? [[String: Any]])?.first
        #expect(attachment?["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let card = attachment?["content"] as? [String: Any]
        #expect(card?["type"] as? String == "AdaptiveCard" && card?["$schema"] != nil)
        let action = (card?["actions"] as? [[String: Any]])?.first
        #expect(action?["type"] as? String == "Action.OpenUrl" && action?["title"] as? String == "Review and approve")
        let text = String(decoding: try JSONEncoder().encode(TeamsMessage(content: content)), as: UTF8.self)
        #expect(!text.contains("null"))
    }
}
