import Foundation
import M365Simulator
import Testing

/// A PSA ticket's text through `POST /tenants/{tenant}/tickets/read`, against the sandbox's
/// directory; then the draft it gives, submitted, approved and run like any plan.
@Suite("Ticket → plan")
struct TicketReadingTests {
    @Test("names resolve against the directory with their words; unknown people and non-offboarding tickets are blockers; the draft runs")
    func ticketToRun() async throws {
        try await withServe { serve, api, team in
            let body = "Hi team,\nBen Carter's last day is Friday. Please forward his email to Kate Lopez.\nThanks,\nDan"
            let read = try await api.call(
                "POST", "/tenants/contoso/tickets/read", token: team.technician,
                json: ["subject": "Leaver", "body": body, "receivedAt": "2026-12-02T09:00:00Z"])
            #expect(read.status == 200, "\(read.text)")
            #expect(read.object["ready"] as? Bool == true, "\(read.text)")
            let draft = try #require(read.object["draft"] as? [String: Any])
            #expect(draft["userPrincipalName"] as? String == "ben.carter@contoso.com")
            #expect(draft["lastDay"] as? String == "2026-12-04", "Friday after Wednesday 2 December")
            let overrides = draft["overrides"] as? [String] ?? []
            #expect(overrides.contains("forwarding=kate.lopez@contoso.com"), "\(overrides)")
            let extraction = try #require(read.object["extraction"] as? [String: Any])
            for field in ["leaver", "lastDay", "forwardingTo"] {
                let words = ((extraction[field] as? [String: Any])?["evidence"] as? [String: Any])?["words"] as? String ?? ""
                #expect(!words.isEmpty && body.contains(words), "\(field)'s words come from the ticket: '\(words)'")
            }
            #expect(extraction["manager"] == nil, "a name in the signature is nobody's role")

            let hostile = try await api.call(
                "POST", "/tenants/contoso/tickets/read", token: team.technician,
                json: ["subject": "Termination", "body": "Ben Carter was terminated, effective immediately. Do not notify him."])
            let hostileDraft = try #require(hostile.object["draft"] as? [String: Any])
            #expect(hostileDraft["runsNow"] as? Bool == true && hostileDraft["lastDay"] == nil, "\(hostile.text)")

            let unknown = try await api.call(
                "POST", "/tenants/contoso/tickets/read", token: team.technician,
                json: ["subject": "Leaver", "body": "Zed Quinnell is leaving on Friday, please offboard him."])
            #expect(unknown.object["ready"] as? Bool == false)
            let blockers = (unknown.object["draft"] as? [String: Any])?["blockers"] as? [String] ?? []
            #expect(blockers.contains { $0.contains("Zed Quinnell") }, "\(blockers)")

            let printer = try await api.call(
                "POST", "/tenants/contoso/tickets/read", token: team.technician,
                json: ["subject": "Printer", "body": "The printer on floor 2 is jammed again."])
            #expect(printer.object["ready"] as? Bool == false)
            #expect(
                ((printer.object["draft"] as? [String: Any])?["blockers"] as? [String] ?? []).first?.contains(
                    "does not read as an offboarding")
                    == true)

            let auditor = try await api.call(
                "POST", "/tenants/contoso/tickets/read", token: team.auditor, json: ["subject": "x", "body": "y"])
            #expect(auditor.status == 403)

            // The draft is a submission like any other: approved by someone else, run, judged on the tenant.
            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician,
                json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com", "overrides": overrides])
            #expect(submitted.status == 201, "\(submitted.text)")
            let id = try #require(submitted.object["id"] as? String)
            let approved = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: ["comment": "ticket"])
            #expect(approved.status == 200, "\(approved.text)")
            let done = try await api.waitFor(id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
            #expect(done["status"] as? String == "succeeded", "\(done["steps"] ?? "")")
            let state = try await api.simulatorState(serve)
            let mailbox = try #require(state.mailbox("ben.carter@contoso.com"))
            let forwarding = "\(mailbox["forwardingAddress"] ?? "")\(mailbox["forwardingSmtpAddress"] ?? "")".lowercased()
            let kate = state.userId("kate.lopez@contoso.com")
            #expect(
                forwarding.contains("kate.lopez") || forwarding.contains(kate.lowercased()),
                "Ben's mail goes to Kate (\(kate)): \(mailbox.filter { $0.key.lowercased().contains("forward") })")
            #expect(state.accountEnabled("ben.carter@contoso.com") == false)
        }
    }
}
