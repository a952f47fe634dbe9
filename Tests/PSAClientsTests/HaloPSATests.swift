import AsyncHTTPClient
import Foundation
import PSAClients
import PSASimulator
import Testing

@Suite("HaloPSA client against the simulator")
struct HaloPSATests {
    /// A simulator on a loopback port and a client signed in with its credentials (or another secret).
    func withHalo<T: Sendable>(
        secret: String? = nil, _ body: @Sendable (HaloPSASimulator, PSAClient, PSAConnection) async throws -> T
    ) async throws -> T {
        let sim = HaloPSASimulator()
        return try await PSASimulatorServer.withServer(sim) { baseURL in
            let connection = PSAConnection(
                kind: .haloPSA, url: baseURL, clientId: sim.credentials["client_id"] ?? "",
                account: sim.credentials["tenant"], secret: secret ?? sim.credentials["client_secret"] ?? "")
            let client = PSAClient.haloPSA(connection, http: PSAHTTP(client: HTTPClient.shared))
            return try await body(sim, client, connection)
        }
    }

    func leaverTicket(_ sim: HaloPSASimulator) -> String {
        sim.openTicket(
            summary: "Leaver: Ben Carter",
            details: "Ben Carter's last day is Friday.\nForward his mail to Kate Lopez & keep <everything>.",
            contactEmail: "dan.morgan@contoso.com")
    }

    @Test("verify signs in with client credentials and names the agent; the token is cached, and renewed once after a 401")
    func verifyAndTokenCache() async throws {
        try await withHalo { sim, client, _ in
            let who = try await client.verify()
            #expect(who.contains("Turnover Integration"))
            #expect(who.contains(sim.agentId))
            _ = try await client.verify()
            #expect(sim.tokenRequests == 1)

            sim.revokeTokens()
            _ = try await client.verify()
            #expect(sim.tokenRequests == 2)
        }
    }

    @Test("the resource and authorisation server addresses from Halo's API settings page work as given")
    func settingsPageAddresses() async throws {
        try await withHalo { _, _, connection in
            var copied = connection
            copied.url = connection.url + "/api"
            copied.authURL = connection.url + "/auth"
            let client = PSAClient.haloPSA(copied, http: PSAHTTP(client: HTTPClient.shared))
            let who = try await client.verify()
            #expect(who.contains("Turnover Integration"))
        }
    }

    @Test("a ticket reads back with its summary, plain-text details, client, ticket type, status, contact and custom fields")
    func readTicket() async throws {
        try await withHalo { sim, client, _ in
            let id = leaverTicket(sim)
            sim.setCustomField(onTicket: id, label: "Last working day", value: "2026-12-04")
            let ticket = try await client.ticket(id)
            #expect(ticket.id == id)
            #expect(ticket.summary == "Leaver: Ben Carter")
            #expect(ticket.details == "Ben Carter's last day is Friday.\nForward his mail to Kate Lopez & keep <everything>.")
            #expect(ticket.company == sim.directory.companyId)
            #expect(ticket.board == sim.directory.boardId)
            #expect(ticket.status == sim.directory.statuses["New"])
            #expect(ticket.contactEmail == "dan.morgan@contoso.com")
            #expect(ticket.fields["Last working day"] == "2026-12-04")
            #expect(ticket.createdAt != nil)

            let missing = await #expect(throws: PSAError.self) { try await client.ticket("999999") }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test("openTickets pages past Halo's 25-record pages and leaves out a ticket moved to another status")
    func openTicketsPages() async throws {
        try await withHalo { sim, client, _ in
            let directory = sim.directory
            let new = try #require(directory.statuses["New"])
            let inProgress = try #require(directory.statuses["In Progress"])
            var opened: [String] = []
            for index in 1...30 {
                opened.append(sim.openTicket(summary: "Leaver \(index)", details: "Leaves soon.", contactEmail: "dan.morgan@contoso.com"))
            }
            let moved = opened[4]
            try await client.setStatus(moved, inProgress)

            let queue = PSAQueue(company: directory.companyId, board: directory.boardId, statuses: [new])
            let tickets = try await client.openTickets(queue)
            #expect(tickets.map(\.id) == opened.filter { $0 != moved })
            #expect(tickets.allSatisfy { $0.status == new && $0.board == directory.boardId })

            let anyOpen = try await client.openTickets(PSAQueue(company: directory.companyId, board: directory.boardId, statuses: []))
            #expect(anyOpen.count == 30)
        }
    }

    @Test("a note is an internal action with the Private Note outcome")
    func note() async throws {
        try await withHalo { sim, client, _ in
            let id = leaverTicket(sim)
            let before = sim.writeCount
            let action = try await client.addNote(
                id, PSANote(title: "Turnover: offboarding done", text: "Mailbox converted.", html: "<p>Mailbox converted.</p>"))
            #expect(!action.isEmpty)
            let notes = sim.notes(onTicket: id)
            #expect(notes.count == 1)
            #expect(notes.first?.isInternal == true)
            #expect(notes.first?.text.contains("<p>Mailbox converted.</p>") == true)
            #expect(notes.first?.text.contains("Turnover: offboarding done") == true)
            #expect(sim.writeCount == before + 1)
        }
    }

    @Test("time is an action with timetaken in hours for the agent; an hour is the JSON number 1, not true")
    func timeEntry() async throws {
        try await withHalo { sim, client, _ in
            let id = leaverTicket(sim)
            let start = Date(timeIntervalSince1970: 1_796_000_000)
            let entry = PSATimeEntry(
                start: start, end: start.addingTimeInterval(60 * 60), summary: "Offboarding by Turnover", member: sim.agentId)
            let action = try await client.addTime(id, entry)
            #expect(!action.isEmpty)
            let entries = sim.timeEntries(onTicket: id)
            #expect(entries.count == 1)
            #expect(abs((entries.first?.minutes ?? 0) - 60) < 0.01)
            #expect(entries.first?.member == sim.agentId)
            #expect(entries.first?.notes == "Offboarding by Turnover")
            #expect(sim.notes(onTicket: id).isEmpty)

            let backwards = PSATimeEntry(start: start, end: start, summary: "none", member: nil)
            let refused = await #expect(throws: PSAError.self) { try await client.addTime(id, backwards) }
            #expect(refused?.kind == .invalid)
        }
    }

    @Test("setStatus posts the ticket back with its new status")
    func status() async throws {
        try await withHalo { sim, client, _ in
            let id = leaverTicket(sim)
            let resolved = try #require(sim.directory.statuses["Resolved"])
            try await client.setStatus(id, resolved)
            #expect(sim.status(ofTicket: id) == resolved)

            let unknown = await #expect(throws: PSAError.self) { try await client.setStatus(id, "4242") }
            #expect(unknown?.kind == .invalid)
            #expect(sim.status(ofTicket: id) == resolved)

            // Status 1 travels as the JSON number 1, which Foundation also reads as `true`.
            let new = try #require(sim.directory.statuses["New"])
            try await client.setStatus(id, new)
            #expect(sim.status(ofTicket: id) == new)
        }
    }

    @Test("deactivating a contact makes the Halo user inactive, finds it again on a rerun, and answers nil for a stranger")
    func deactivateContact() async throws {
        try await withHalo { sim, client, _ in
            let ben = try #require(sim.directory.contacts["ben.carter@contoso.com"])
            // Another client of the MSP: its contacts are out of reach, whatever their address.
            #expect(try await client.deactivateContact("ben.carter@contoso.com", sim.directory.companyId + "9") == nil)
            #expect(sim.contactIsActive(email: "ben.carter@contoso.com") == true)
            #expect(try await client.deactivateContact("Ben.Carter@contoso.com", sim.directory.companyId) == ben)
            #expect(sim.contactIsActive(email: "ben.carter@contoso.com") == false)
            #expect(sim.contactIsActive(email: "kate.lopez@contoso.com") == true)

            let writes = sim.writeCount
            #expect(try await client.deactivateContact("ben.carter@contoso.com", sim.directory.companyId) == ben)
            #expect(sim.writeCount == writes)
            #expect(try await client.deactivateContact("nobody@contoso.com", sim.directory.companyId) == nil)
        }
    }

    @Test("an attachment arrives on the ticket byte for byte")
    func attachment() async throws {
        try await withHalo { sim, client, _ in
            let id = leaverTicket(sim)
            let pack = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) })
            let attachment = try await client.attach(id, "turnover-evidence-42.zip", pack)
            #expect(!attachment.isEmpty)
            let stored = sim.attachments(onTicket: id)
            #expect(stored.count == 1)
            #expect(stored.first?.fileName == "turnover-evidence-42.zip")
            #expect(stored.first?.data == pack)
        }
    }

    @Test("a wrong secret is unauthorized at the token endpoint and writes nothing")
    func wrongSecret() async throws {
        try await withHalo(secret: "not-the-secret") { sim, client, _ in
            let id = leaverTicket(sim)
            let refused = await #expect(throws: PSAError.self) { try await client.verify() }
            #expect(refused?.kind == .unauthorized)
            let note = await #expect(throws: PSAError.self) {
                try await client.addNote(id, PSANote(title: "x", text: "x", html: "<p>x</p>"))
            }
            #expect(note?.kind == .unauthorized)
            let status = await #expect(throws: PSAError.self) { try await client.setStatus(id, "2") }
            #expect(status?.kind == .unauthorized)
            #expect(sim.writeCount == 0)
            #expect(sim.notes(onTicket: id).isEmpty)
        }
    }

    @Test("Halo refuses an action without an outcome, in its own error shape, and stores nothing")
    func actionWithoutOutcome() async throws {
        try await withHalo { sim, _, connection in
            let id = leaverTicket(sim)
            let http = PSAHTTP(client: HTTPClient.shared)
            let form = [
                ("grant_type", "client_credentials"), ("client_id", connection.clientId), ("client_secret", connection.secret),
                ("scope", "all"),
            ].map { "\($0.0)=\(PSAHTTP.formEncode($0.1))" }.joined(separator: "&")
            let tokenReply = try await http.send(
                "POST", connection.url + "/auth/token?tenant=" + PSAHTTP.queryEncode(connection.account ?? ""),
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8))
            let token = try #require((tokenReply.json as? [String: Any])?["access_token"] as? String)

            let before = sim.writeCount
            let action: [[String: Any]] = [["ticket_id": Int(id) ?? 0, "note_html": "<p>No outcome</p>", "hiddenfromuser": true]]
            let reply = try await http.send(
                "POST", connection.url + "/api/Actions",
                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                body: try JSONSerialization.data(withJSONObject: action))
            #expect(reply.status == 400)
            let body = try #require(reply.json as? [String: Any])
            #expect(body["ClassName"] as? String == "System.Exception")
            #expect(body["Message"] as? String == "An Outcome must be entered for this Action")
            #expect(sim.notes(onTicket: id).isEmpty)
            #expect(sim.writeCount == before)

            let unsigned = try await http.send("GET", connection.url + "/api/Tickets/\(id)")
            #expect(unsigned.status == 401)
        }
    }
}
