import AsyncHTTPClient
import Foundation
import PSAClients
import PSASimulator
import Testing

/// The Autotask client against the Autotask simulator over real HTTP; every outcome is judged on the simulator's state.
@Suite("Autotask client against the Autotask simulator")
struct AutotaskTests {
    @Test("verify signs in with the API user's three headers and names the user")
    func verify() async throws {
        let sim = AutotaskSimulator()
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let signedInAs = try await autotaskClient(sim, baseURL).verify()
            #expect(signedInAs.contains(try #require(sim.credentials["UserName"])))
            #expect(sim.connectionFields(baseURL: baseURL).url == baseURL + "/ATServicesRest/V1.0")
        }
    }

    @Test("a ticket reads with its title, description, company, queue, status, contact e-mail and UDFs")
    func readTicket() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(
            summary: "Leaver: Ben Carter", details: "Ben's last day is Friday.\nForward his mail to Kate.\n",
            contactEmail: "dan.morgan@contoso.com")
        sim.setUserDefinedField("Departure Date", to: "2025-06-30", onTicket: id)
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let ticket = try await autotaskClient(sim, baseURL).ticket(id)
            let directory = sim.directory
            #expect(ticket.id == id)
            #expect(ticket.summary == "Leaver: Ben Carter")
            #expect(ticket.details == "Ben's last day is Friday.\nForward his mail to Kate.")
            #expect(ticket.company == directory.companyId)
            #expect(ticket.board == directory.boardId)
            #expect(ticket.status == directory.statuses["New"])
            #expect(ticket.contactEmail == "dan.morgan@contoso.com")
            #expect(ticket.fields == ["Departure Date": "2025-06-30"])
            #expect(ticket.createdAt != nil)

            let missing = await #expect(throws: PSAError.self) { try await autotaskClient(sim, baseURL).ticket("999999") }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test("open tickets page through the cursor and leave out tickets moved to another status")
    func openTickets() async throws {
        let sim = AutotaskSimulator()
        let directory = sim.directory
        // More than the simulator's 25 per page, so the `nextPageUrl` cursor must be followed.
        let ids = (1...30).map { number in
            sim.openTicket(summary: "Leaver \(number)", details: "Offboard user \(number)", contactEmail: "ben.carter@contoso.com")
        }
        let target = ids[0]
        let moved = ids[5]
        let closed = ids[6]
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = autotaskClient(sim, baseURL)
            try await client.setStatus(moved, try #require(directory.statuses["In Progress"]))
            try await client.setStatus(closed, try #require(directory.statuses["Closed"]))

            let newTickets = try await client.openTickets(
                PSAQueue(company: directory.companyId, board: directory.boardId, statuses: [try #require(directory.statuses["New"])]))
            let newIds = newTickets.map(\.id)
            #expect(newIds.count == 28)
            #expect(newIds.contains(target))
            #expect(!newIds.contains(moved))
            #expect(!newIds.contains(closed))
            #expect(newIds == ids.filter { $0 != moved && $0 != closed }, "oldest first")
            #expect(newTickets.allSatisfy { $0.contactEmail == "ben.carter@contoso.com" })

            // No statuses means every status that is not closed.
            let notClosed = try await client.openTickets(
                PSAQueue(company: directory.companyId, board: directory.boardId, statuses: [])
            ).map(\.id)
            #expect(notClosed.count == 29)
            #expect(notClosed.contains(moved))
            #expect(!notClosed.contains(closed))

            let otherCompany = try await client.openTickets(PSAQueue(company: "1", board: directory.boardId, statuses: []))
            #expect(otherCompany.isEmpty)
        }
    }

    @Test("a note is added as an internal ticket note")
    func note() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(summary: "Leaver: Kate Lopez", details: "Offboard Kate", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let note = PSANote(
                title: "Turnover: offboarding done", text: "Mailbox converted.\nLicences removed.", html: "<p>Mailbox converted.</p>")
            let noteId = try await autotaskClient(sim, baseURL).addNote(id, note)
            #expect(!noteId.isEmpty)
            #expect(
                sim.notes(onTicket: id)
                    == [PSASimNote(text: "Mailbox converted.\nLicences removed.", isInternal: true, title: "Turnover: offboarding done")])
            #expect(sim.writeCount == 1)
        }
    }

    @Test("time is recorded for the resource in its role")
    func timeEntry() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(summary: "Leaver: Ben Carter", details: "Offboard Ben", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            let entry = PSATimeEntry(
                start: start, end: start.addingTimeInterval(30 * 60), summary: "Offboarding by Turnover",
                member: sim.resourceId, role: sim.roleId)
            let entryId = try await autotaskClient(sim, baseURL).addTime(id, entry)
            #expect(!entryId.isEmpty)
            let recorded = sim.timeEntries(onTicket: id)
            #expect(recorded == [PSASimTimeEntry(minutes: 30, member: sim.resourceId, notes: "Offboarding by Turnover")])
        }
    }

    @Test("the status is changed with a PATCH of the ticket")
    func status() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(summary: "Leaver: Ben Carter", details: "Offboard Ben", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let resolved = try #require(sim.directory.statuses["Resolved"])
            try await autotaskClient(sim, baseURL).setStatus(id, resolved)
            #expect(sim.status(ofTicket: id) == resolved)

            let refused = await #expect(throws: PSAError.self) {
                try await autotaskClient(sim, baseURL).setStatus(id, "424242")
            }
            #expect(refused?.kind == .invalid)
            #expect(sim.status(ofTicket: id) == resolved)
        }
    }

    @Test("a contact is found by e-mail and made inactive through its company; an unknown address gives nil")
    func deactivateContact() async throws {
        let sim = AutotaskSimulator()
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = autotaskClient(sim, baseURL)
            #expect(sim.contactIsActive(email: "kate.lopez@contoso.com") == true)
            // Another client of the MSP: its contacts are out of reach, whatever their address.
            #expect(try await client.deactivateContact("kate.lopez@contoso.com", sim.directory.companyId + "9") == nil)
            #expect(sim.contactIsActive(email: "kate.lopez@contoso.com") == true)
            let contactId = try await client.deactivateContact("kate.lopez@contoso.com", sim.directory.companyId)
            #expect(contactId == sim.directory.contacts["kate.lopez@contoso.com"])
            #expect(sim.contactIsActive(email: "kate.lopez@contoso.com") == false)
            #expect(sim.contactIsActive(email: "ben.carter@contoso.com") == true)
            #expect(sim.writeCount == 1)

            // Already inactive: found again, but nothing is written.
            #expect(try await client.deactivateContact("kate.lopez@contoso.com", sim.directory.companyId) == contactId)
            #expect(sim.writeCount == 1)
            #expect(try await client.deactivateContact("nobody@contoso.com", sim.directory.companyId) == nil)
        }
    }

    @Test("an attachment arrives with its file name and the same bytes")
    func attachment() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(summary: "Leaver: Ben Carter", details: "Offboard Ben", contactEmail: "dan.morgan@contoso.com")
        let bytes = Data((0...255).map(UInt8.init) + Array("evidence".utf8))
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let attachmentId = try await autotaskClient(sim, baseURL).attach(id, "evidence-pack.zip", bytes)
            #expect(!attachmentId.isEmpty)
            #expect(sim.attachments(onTicket: id) == [PSASimAttachment(fileName: "evidence-pack.zip", data: bytes)])
        }
    }

    @Test("a wrong secret is unauthorized and writes nothing")
    func wrongSecret() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(summary: "Leaver: Ben Carter", details: "Offboard Ben", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = autotaskClient(sim, baseURL, secret: "not-the-secret")
            let writesBefore = sim.writeCount
            let refusedSignIn = await #expect(throws: PSAError.self) { try await client.verify() }
            #expect(refusedSignIn?.kind == .unauthorized)
            let refusedNote = await #expect(throws: PSAError.self) {
                try await client.addNote(id, PSANote(title: "t", text: "should not land", html: ""))
            }
            #expect(refusedNote?.kind == .unauthorized)
            #expect(refusedNote?.status == 401)
            let closed = try #require(sim.directory.statuses["Closed"])
            let refusedStatus = await #expect(throws: PSAError.self) { try await client.setStatus(id, closed) }
            #expect(refusedStatus?.kind == .unauthorized)
            #expect(sim.writeCount == writesBefore)
            #expect(sim.notes(onTicket: id).isEmpty)
            #expect(sim.status(ofTicket: id) == sim.directory.statuses["New"])
        }
    }

    @Test("ticket time without a roleID is refused with HTTP 500 and Autotask's errors array, and read as invalid")
    func timeWithoutRoleIsRefused() async throws {
        let sim = AutotaskSimulator()
        let id = sim.openTicket(summary: "Leaver: Ben Carter", details: "Offboard Ben", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let credentials = sim.credentials
            let headers = [
                ("ApiIntegrationCode", try #require(credentials["ApiIntegrationCode"])),
                ("UserName", try #require(credentials["UserName"])), ("Secret", try #require(credentials["Secret"])),
                ("Content-Type", "application/json"),
            ]
            let body = try JSONSerialization.data(
                withJSONObject: [
                    "ticketID": try #require(Int(id)), "resourceID": try #require(Int(sim.resourceId)),
                    "dateWorked": "2025-06-15T00:00:00Z", "startDateTime": "2025-06-15T09:00:00Z",
                    "endDateTime": "2025-06-15T09:30:00Z", "hoursWorked": 0.5, "summaryNotes": "no role",
                ] as [String: Any])
            let reply = try await PSAHTTP(client: HTTPClient.shared).send(
                "POST", baseURL + "/ATServicesRest/V1.0/TimeEntries", headers: headers, body: body)
            #expect(reply.status == 500)
            #expect((reply.json as? [String: Any])?["errors"] as? [String] == ["TimeEntries for Tickets must have a roleID."])

            let start = Date(timeIntervalSince1970: 1_750_000_000)
            let refused = await #expect(throws: PSAError.self) {
                try await autotaskClient(sim, baseURL).addTime(
                    id, PSATimeEntry(start: start, end: start.addingTimeInterval(1800), summary: "no role", member: sim.resourceId))
            }
            #expect(refused?.kind == .invalid)
            #expect(refused?.isTransient == false)
            #expect(refused?.message.contains("roleID") == true)
            #expect(sim.timeEntries(onTicket: id).isEmpty)
            #expect(sim.writeCount == 0)
        }
    }
}

/// A client for the simulator, built from its credentials by Autotask's own names.
private func autotaskClient(_ sim: AutotaskSimulator, _ baseURL: String, secret: String? = nil) -> PSAClient {
    let credentials = sim.credentials
    let connection = PSAConnection(
        kind: .autotask, url: baseURL + "/ATServicesRest/V1.0", clientId: credentials["ApiIntegrationCode"] ?? "",
        username: credentials["UserName"], secret: secret ?? credentials["Secret"] ?? "")
    return PSAClient.autotask(connection, http: PSAHTTP(client: HTTPClient.shared))
}
