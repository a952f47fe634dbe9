import AsyncHTTPClient
import Foundation
import M365Simulator
import PSAClients
import PSASimulator
import Testing
import TurnoverEngine

/// For each PSA, against its simulator and `turnover serve --sandbox`: a ticket comes in (by id for
/// HaloPSA, by polling the board for ConnectWise and Autotask), is read against the directory,
/// planned, approved and run; then the notes, the status, the time entry, the contact and the
/// evidence pack are on the ticket. Judged on the PSA simulator's and the M365 simulator's state.
@Suite("PSA connectors: a ticket in, the run, and the record out")
struct PSAConnectorTests {
    static let hostile =
        "Hi,\nBen Carter was terminated, effective immediately. Please forward his email to Kate Lopez.\nThanks,\nDan Morgan"

    @Test(
        "ticket in, plan, approval, run; then notes, status, time, contact and pack on the ticket; a bad credential changes nothing",
        arguments: PSAKind.allCases)
    func roundTrip(_ kind: PSAKind) async throws {
        let simulation = try #require(PSASimulators.make(kind.rawValue))
        try await PSASimulatorServer.withServer(simulation) { baseURL in
            let fields = simulation.connectionFields(baseURL: baseURL)
            try await withServe(environment: ["TURNOVER_PSA_POLL_INTERVAL": "0.5", "TURNOVER_NOTIFY_INTERVAL": "0.3"]) {
                serve, api, team in
                // A wrong secret: refused with the PSA's words, nothing saved, nothing written.
                var body: [String: Any] = ["kind": kind.rawValue, "url": fields.url, "clientId": fields.clientId]
                if let account = fields.account { body["account"] = account }
                if let username = fields.username { body["username"] = username }
                body["secret"] = fields.secret + "x"
                let refused = try await api.call("PUT", "/psa/connections/main", token: team.admin, json: body)
                #expect(refused.status == 422, "\(refused.text)")
                #expect(refused.text.contains(kind.displayName) && refused.text.contains("Nothing was saved"), "\(refused.text)")
                let none = try await api.call("GET", "/psa/connections", token: team.admin)
                let names = (none.object["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(!names.contains("main"), "nothing saved: \(none.text)")
                #expect(simulation.writeCount == 0)
                body["secret"] = fields.secret
                let saved = try await api.call("PUT", "/psa/connections/main", token: team.admin, json: body)
                #expect(saved.status == 200, "\(saved.text)")
                #expect(!saved.text.contains(fields.secret), "the secret is never given back")

                // The tenant's mapping: company, board, statuses, the technician's time.
                let directory = simulation.directory
                let statuses = directory.statuses
                let technician = simulation.technician
                let polled = kind != .haloPSA
                // The sandbox's own policy, with this test's mapping in place of its psa section.
                let current = try await api.call("GET", "/tenants/contoso", token: team.admin)
                let sandbox = current.object["policyYAML"] as? String ?? ""
                var yaml = sandbox.components(separatedBy: "\npsa:").first ?? sandbox
                #expect(yaml.contains("steps:"), "\(current.text)")
                yaml += """

                    psa:
                      connection: main
                      company: "\(directory.companyId)"
                      board: "\(directory.boardId)"
                      newStatuses: ["\(statuses["New"] ?? "")"]
                      poll: \(polled)
                      statuses:
                        submitted: "\(statuses["Waiting Approval"] ?? "")"
                        approved: "\(statuses["In Progress"] ?? "")"
                        completed: "\(statuses["Resolved"] ?? "")"
                        partial: "\(statuses["In Progress"] ?? "")"
                        failed: "\(statuses["In Progress"] ?? "")"
                      time:
                        member: "\(technician.member)"\(technician.role.map { "\n    role: \"\($0)\"" } ?? "")

                    """
                let policy = try await api.call("PUT", "/tenants/contoso/policy", token: team.admin, json: ["yaml": yaml])
                #expect(policy.status == 200, "\(policy.text)")

                let leaver = simulation.openTicket(
                    summary: "Termination: Ben Carter", details: Self.hostile, contactEmail: "dan.morgan@contoso.com")
                let printer = simulation.openTicket(
                    summary: "Printer", details: "The printer on floor 2 is jammed again.", contactEmail: "dan.morgan@contoso.com")
                let unknown = simulation.openTicket(
                    summary: "Leaver", details: "Zed Quinnell is leaving on Friday, please offboard him.",
                    contactEmail: "dan.morgan@contoso.com")

                // ConnectWise keeps a ticket's description as its first note: what was there before Turnover.
                let before = [leaver, printer, unknown].reduce(into: [String: Int]()) { $0[$1] = simulation.notes(onTicket: $1).count }
                func turnoverNotes(_ ticket: String) -> [PSASimNote] {
                    Array(simulation.notes(onTicket: ticket).dropFirst(before[ticket] ?? 0))
                }
                /// What a technician reads of a note: its title (Autotask keeps it apart) and its text.
                func reads(_ note: PSASimNote) -> String { (note.title ?? "") + "\n" + note.text }
                var outcomes: [String: [String: Any]] = [:]
                if polled {
                    let clock = ContinuousClock()
                    let deadline = clock.now + .seconds(60)
                    while clock.now < deadline {
                        let listed = try await api.call("GET", "/tenants/contoso/psa/imports", token: team.technician)
                        for item in listed.object["items"] as? [[String: Any]] ?? [] where item["outcome"] as? String != "importing" {
                            outcomes[item["ticket"] as? String ?? ""] = item
                        }
                        if outcomes.count >= 3 { break }
                        try await Task.sleep(for: .milliseconds(300))
                    }
                } else {
                    for ticket in [leaver, printer, unknown] {
                        let imported = try await api.call(
                            "POST", "/tenants/contoso/psa/tickets/\(ticket)/import", token: team.technician)
                        #expect(imported.status == 200, "\(imported.text)")
                        outcomes[ticket] = imported.object
                    }
                }
                #expect(outcomes[leaver]?["outcome"] as? String == "submitted", "\(outcomes[leaver] ?? [:])")
                #expect(outcomes[printer]?["outcome"] as? String == "skipped", "\(outcomes[printer] ?? [:])")
                #expect(outcomes[unknown]?["outcome"] as? String == "needs-attention", "\(outcomes[unknown] ?? [:])")
                #expect(turnoverNotes(printer).isEmpty, "a ticket that is not an offboarding is left alone")
                #expect(
                    turnoverNotes(unknown).contains { $0.isInternal && $0.text.contains("Zed Quinnell") },
                    "the ticket says who could not be found: \(turnoverNotes(unknown))")
                let id = try #require(outcomes[leaver]?["offboarding"] as? String)

                // Asking again gives the first import, not a second offboarding.
                let again = try await api.call("POST", "/tenants/contoso/psa/tickets/\(leaver)/import", token: team.technician)
                #expect(again.object["alreadyImported"] as? Bool == true && again.object["offboarding"] as? String == id, "\(again.text)")

                let submitted = try await api.call("GET", "/offboardings/\(id)", token: team.technician).object
                #expect((submitted["ticket"] as? [String: Any])?["id"] as? String == leaver)
                #expect(submitted["status"] as? String == "awaiting-approval", "\(submitted["status"] ?? "")")
                #expect(submitted["submittedBy"] as? String == (polled ? "psa:main" : "tess"))
                try await Self.waitUntil("the submission's note and status on the ticket") {
                    turnoverNotes(leaver).contains { reads($0).contains("submitted") }
                        && simulation.status(ofTicket: leaver) == statuses["Waiting Approval"]
                }
                #expect(try await api.simulatorState(serve).accountEnabled("ben.carter@contoso.com") == true, "nothing before approval")

                let approved = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: ["comment": "ticket"])
                #expect(approved.status == 200, "\(approved.text)")
                let done = try await api.waitFor(id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
                #expect(done["status"] as? String == "succeeded", "\(done["steps"] ?? "")")

                // Every write to the ticket delivered (or the test says which were not and why).
                try await Self.waitUntil("every PSA write delivered") {
                    let listed = try await api.call("GET", "/offboardings/\(id)/notifications", token: team.technician)
                    let writes = (listed.json as? [[String: Any]] ?? []).filter { $0["channel"] as? String == "psa" }
                    let failed = writes.filter { $0["status"] as? String == "failed" }
                    if !failed.isEmpty { throw ServeProcess.Failed(description: "PSA writes failed: \(failed)") }
                    // submitted: note, status; approved: note, status; completed: note, status, time, contact, evidence.
                    return writes.count == 9 && writes.allSatisfy { $0["status"] as? String == "delivered" }
                }
                let notes = turnoverNotes(leaver)
                #expect(notes.count == 3, "one note each for the submission, the approval and the report: \(notes.map(\.text))")
                #expect(notes.allSatisfy { $0.isInternal }, "Turnover's notes are internal")
                #expect(notes.contains { reads($0).contains("approved by ada") }, "\(notes.map(reads))")
                #expect(
                    notes.contains { reads($0).contains("completed") && reads($0).contains("Block sign-in") }, "the report is on the ticket"
                )
                #expect(simulation.status(ofTicket: leaver) == statuses["Resolved"])
                let time = simulation.timeEntries(onTicket: leaver)
                #expect(time.count == 1 && time.first?.member == technician.member && (time.first?.minutes ?? 0) >= 1, "\(time)")
                #expect(simulation.contactIsActive(email: "ben.carter@contoso.com") == false)
                #expect(simulation.contactIsActive(email: "kate.lopez@contoso.com") == true)
                let attachments = simulation.attachments(onTicket: leaver)
                #expect(attachments.count == 1, "\(attachments.map(\.fileName))")
                let pack = try #require(attachments.first)
                #expect(pack.fileName == "turnover-evidence-\(id).zip")
                let verification = EvidencePack.verify(pack.data, trusting: nil)
                #expect(verification.isIntact, "\(verification.problems)")
                let state = try await api.simulatorState(serve)
                #expect(state.accountEnabled("ben.carter@contoso.com") == false)

                // Another client's ticket is refused for this tenant: a namesake here must not be offboarded.
                let kate = simulation.openTicket(
                    summary: "Termination: Kate Lopez", details: "Kate Lopez was terminated, effective immediately.",
                    contactEmail: "dan.morgan@contoso.com")
                let otherClient = yaml.replacingOccurrences(
                    of: "company: \"\(directory.companyId)\"", with: "company: \"\(directory.companyId)0\"")
                #expect(try await api.call("PUT", "/tenants/contoso/policy", token: team.admin, json: ["yaml": otherClient]).status == 200)
                var writes = simulation.writeCount
                let foreign = try await api.call("POST", "/tenants/contoso/psa/tickets/\(kate)/import", token: team.technician)
                #expect(foreign.status == 422 && foreign.text.contains("belongs to company"), "\(foreign.text)")
                #expect(simulation.writeCount == writes)

                // The PSA stops accepting the key: an import is a clear error and nothing happens anywhere.
                // (Revoked before the mapping is right again, so the poller cannot take Kate's ticket in between.)
                simulation.revokeCredentials()
                #expect(try await api.call("PUT", "/tenants/contoso/policy", token: team.admin, json: ["yaml": yaml]).status == 200)
                writes = simulation.writeCount
                let failed = try await api.call("POST", "/tenants/contoso/psa/tickets/\(kate)/import", token: team.technician)
                #expect(failed.status == 502, "\(failed.text)")
                #expect(failed.text.contains("unauthorized") && failed.text.contains("Nothing was imported"), "\(failed.text)")
                try await Task.sleep(for: .seconds(1))  // a poll round too
                #expect(simulation.writeCount == writes)
                let list = try await api.call("GET", "/offboardings?tenant=contoso", token: team.technician)
                let kates = (list.object["items"] as? [[String: Any]] ?? []).filter {
                    $0["userPrincipalName"] as? String == "kate.lopez@contoso.com"
                }
                #expect(kates.isEmpty, "no offboarding of Kate")
                #expect(try await api.simulatorState(serve).accountEnabled("kate.lopez@contoso.com") == true)
            }
        }
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ServeProcess.Failed(description: "timed out waiting for \(what)")
    }
}
