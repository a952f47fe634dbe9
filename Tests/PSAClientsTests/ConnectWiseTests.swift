import AsyncHTTPClient
import Foundation
import PSAClients
import PSASimulator
import Testing

/// The ConnectWise PSA client against `ConnectWiseSimulator` over real HTTP; every outcome is judged on the
/// simulator's state, not on what the client says it did.
@Suite("ConnectWise PSA client against its simulator")
struct ConnectWiseTests {
    static let prefix = "/v4_6_release/apis/3.0"

    static func connection(_ sim: ConnectWiseSimulator, _ baseURL: String, secret: String? = nil) -> PSAConnection {
        let fields = sim.connectionFields(baseURL: baseURL)
        return PSAConnection(
            kind: .connectWise, url: fields.url, clientId: fields.clientId, account: fields.account, username: fields.username,
            secret: secret ?? fields.secret)
    }

    static func client(_ sim: ConnectWiseSimulator, _ baseURL: String, secret: String? = nil) -> PSAClient {
        .connectWise(connection(sim, baseURL, secret: secret), http: PSAHTTP(client: HTTPClient.shared))
    }

    /// The headers a ConnectWise integration signs with, for requests the client would never send.
    static func signature(_ sim: ConnectWiseSimulator) -> [(String, String)] {
        let keys = sim.credentials
        let user = "\(keys["companyId"] ?? "")+\(keys["publicKey"] ?? ""):\(keys["privateKey"] ?? "")"
        return [("Authorization", "Basic \(Data(user.utf8).base64EncodedString())"), ("clientId", keys["clientId"] ?? "")]
    }

    static func raw(
        _ baseURL: String, _ method: String, _ path: String, headers: [(String, String)], json: [String: Any]? = nil
    ) async throws -> (status: Int, body: [String: Any]) {
        var all = headers + [("Accept", "application/json")]
        var body: Data?
        if let json {
            body = try JSONSerialization.data(withJSONObject: json)
            all.append(("Content-Type", "application/json"))
        }
        let reply = try await PSAHTTP(client: HTTPClient.shared).send(method, baseURL + prefix + path, headers: all, body: body)
        return (reply.status, reply.json as? [String: Any] ?? [:])
    }

    @Test("verify signs in with companyId+publicKey:privateKey and the clientId header")
    func verify() async throws {
        let sim = ConnectWiseSimulator()
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let signedInAs = try await Self.client(sim, baseURL).verify()
            #expect(signedInAs.contains(sim.credentials["companyId"] ?? "-") && signedInAs.contains("ConnectWise PSA"))
            #expect(
                !signedInAs.contains(sim.credentials["publicKey"] ?? "-"), "the key is not shown to every reader of the connection list")
        }
    }

    @Test("a ticket reads with its description note, company, board, status, contact and custom fields")
    func readTicket() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(
            summary: "Offboard Ben Carter", details: "Ben Carter leaves on Friday.\nGive his mailbox to Kate Lopez.",
            contactEmail: "kate.lopez@contoso.com")
        sim.setCustomField("Leaver", to: "ben.carter@contoso.com", onTicket: id)
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let ticket = try await Self.client(sim, baseURL).ticket(id)
            #expect(ticket.id == id)
            #expect(ticket.summary == "Offboard Ben Carter")
            #expect(ticket.details == "Ben Carter leaves on Friday.\nGive his mailbox to Kate Lopez.")
            #expect(ticket.company == sim.directory.companyId)
            #expect(ticket.board == sim.directory.boardId)
            #expect(ticket.status == sim.directory.statuses["New"])
            #expect(ticket.contactEmail == "kate.lopez@contoso.com")
            #expect(ticket.fields == ["Leaver": "ben.carter@contoso.com"])
            #expect(ticket.createdAt != nil)
        }
    }

    @Test("openTickets pages through the board's new tickets, oldest first, and leaves out one moved on")
    func openTickets() async throws {
        let sim = ConnectWiseSimulator()
        // More than one simulator page (25), so the client has to follow the Link header.
        let ids = (1...30).map { sim.openTicket(summary: "Leaver \($0)", details: "Leaves", contactEmail: "ben.carter@contoso.com") }
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = Self.client(sim, baseURL)
            let directory = sim.directory
            let inProgress = try #require(directory.statuses["In Progress"])
            try await client.setStatus(ids[3], inProgress)
            let queue = PSAQueue(
                company: directory.companyId, board: directory.boardId, statuses: [try #require(directory.statuses["New"])])
            let newTickets = try await client.openTickets(queue)
            #expect(newTickets.map(\.id) == ids.filter { $0 != ids[3] })
            #expect(newTickets.allSatisfy { $0.company == directory.companyId && $0.board == directory.boardId })

            let anyOpen = try await client.openTickets(PSAQueue(company: directory.companyId, board: directory.boardId, statuses: []))
            #expect(anyOpen.count == 30)
        }
    }

    @Test("a note is internal analysis: hidden from the contact")
    func note() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(summary: "Offboard Dan Morgan", details: "Dan leaves", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let noteId = try await Self.client(sim, baseURL).addNote(
                id, PSANote(title: "Turnover: plan approved", text: "12 steps planned.", html: "<p>12 steps planned.</p>"))
            #expect(!noteId.isEmpty)
            let added = sim.notes(onTicket: id).filter { $0.text.contains("12 steps planned.") }
            #expect(added.count == 1)
            #expect(added.first?.isInternal == true)
            #expect(added.first?.text.hasPrefix("Turnover: plan approved") == true)
        }
    }

    @Test("time is charged to the ticket for the member, with whole-second UTC dates")
    func time() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(summary: "Offboard Dan Morgan", details: "Dan leaves", contactEmail: "dan.morgan@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            // A start with fractions of a second: ConnectWise refuses those, so the client must drop them.
            let start = Date(timeIntervalSince1970: 1_795_000_000.25)
            let entryId = try await Self.client(sim, baseURL).addTime(
                id, PSATimeEntry(start: start, end: start.addingTimeInterval(45 * 60), summary: "Offboarding run", member: "jsmith"))
            #expect(!entryId.isEmpty)
            let entries = sim.timeEntries(onTicket: id)
            #expect(entries == [PSASimTimeEntry(minutes: 45, member: "jsmith", notes: "Offboarding run")])
        }
    }

    @Test("the status changes by JSON Patch; a status of another board is refused")
    func status() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(summary: "Offboard Ben Carter", details: "Ben leaves", contactEmail: "ben.carter@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = Self.client(sim, baseURL)
            let waiting = try #require(sim.directory.statuses["Waiting Approval"])
            try await client.setStatus(id, waiting)
            #expect(sim.status(ofTicket: id) == waiting)

            do throws(PSAError) {
                try await client.setStatus(id, "999")
                Issue.record("a status that is not on the board was accepted")
            } catch {
                #expect(error.kind == .invalid)
                #expect(error.message.contains("Service Status 999 not found"))
            }
            #expect(sim.status(ofTicket: id) == waiting)
        }
    }

    @Test("a contact is found by e-mail (any case) and made inactive; an unknown address is nil")
    func deactivateContact() async throws {
        let sim = ConnectWiseSimulator()
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = Self.client(sim, baseURL)
            // Another client of the MSP: its contacts are out of reach, whatever their address.
            #expect(try await client.deactivateContact("kate.lopez@contoso.com", sim.directory.companyId + "9") == nil)
            #expect(sim.contactIsActive(email: "kate.lopez@contoso.com") == true)
            let id = try await client.deactivateContact("Kate.Lopez@Contoso.com", sim.directory.companyId)
            #expect(id == sim.directory.contacts["kate.lopez@contoso.com"])
            #expect(sim.contactIsActive(email: "kate.lopez@contoso.com") == false)
            #expect(sim.contactIsActive(email: "ben.carter@contoso.com") == true)

            let writes = sim.writeCount
            #expect(try await client.deactivateContact("kate.lopez@contoso.com", sim.directory.companyId) == id)
            #expect(sim.writeCount == writes)
            #expect(try await client.deactivateContact("nobody@contoso.com", sim.directory.companyId) == nil)
        }
    }

    @Test("an attachment goes up as multipart/form-data and arrives byte for byte")
    func attach() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(summary: "Offboard Ben Carter", details: "Ben leaves", contactEmail: "ben.carter@contoso.com")
        // Bytes a careless parser would cut: CR LF, dashes like a boundary, every byte value.
        let pack = Data("PK\u{3}\u{4}\r\n--\r\n\r\n--turnover".utf8) + Data((0...255).map { UInt8($0) }) + Data([13, 10])
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let documentId = try await Self.client(sim, baseURL).attach(id, "turnover-evidence-ob-1.zip", pack)
            #expect(!documentId.isEmpty)
            #expect(sim.attachments(onTicket: id) == [PSASimAttachment(fileName: "turnover-evidence-ob-1.zip", data: pack)])
        }
    }

    @Test("a wrong private key is unauthorized and changes nothing")
    func wrongSecret() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(summary: "Offboard Ben Carter", details: "Ben leaves", contactEmail: "ben.carter@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let client = Self.client(sim, baseURL, secret: "not-the-private-key")
            let writes = sim.writeCount
            do throws(PSAError) {
                _ = try await client.addNote(id, PSANote(title: "t", text: "x", html: "<p>x</p>"))
                Issue.record("a wrong private key was accepted")
            } catch {
                #expect(error.kind == .unauthorized)
                #expect(error.status == 401)
                #expect(error.message.contains("Unauthorized"))
            }
            do throws(PSAError) {
                _ = try await client.verify()
                Issue.record("a wrong private key was accepted")
            } catch {
                #expect(error.kind == .unauthorized)
            }
            #expect(sim.writeCount == writes)
            #expect(sim.notes(onTicket: id).count == 1)
        }
    }

    @Test("ConnectWise's own refusals: a note without a flag, time without timeStart, no clientId, an unknown condition field")
    func strictness() async throws {
        let sim = ConnectWiseSimulator()
        let id = sim.openTicket(summary: "Offboard Ben Carter", details: "Ben leaves", contactEmail: "ben.carter@contoso.com")
        try await PSASimulatorServer.withServer(sim) { baseURL in
            let signed = Self.signature(sim)
            let writes = sim.writeCount

            let note = try await Self.raw(baseURL, "POST", "/service/tickets/\(id)/notes", headers: signed, json: ["text": "Done"])
            #expect(note.status == 400)
            #expect(note.body["code"] as? String == "InvalidObject")
            #expect(note.body["message"] as? String == "serviceNote object is invalid")
            let noteError = try #require((note.body["errors"] as? [[String: Any]])?.first)
            #expect(noteError["message"] as? String == "Please choose where to display the notes in order to save this record.")
            #expect(sim.notes(onTicket: id).count == 1)

            let time = try await Self.raw(
                baseURL, "POST", "/time/entries", headers: signed,
                json: ["chargeToId": Int(id) ?? 0, "chargeToType": "ServiceTicket", "member": ["identifier": "jsmith"]])
            #expect(time.status == 400)
            let timeError = try #require((time.body["errors"] as? [[String: Any]])?.first)
            #expect(timeError["code"] as? String == "MissingRequiredField")
            #expect(timeError["field"] as? String == "timeStart")
            #expect(sim.timeEntries(onTicket: id).isEmpty)

            let unsigned = try await Self.raw(baseURL, "GET", "/system/info", headers: signed.filter { $0.0 != "clientId" })
            #expect(unsigned.status == 403)

            let condition = try await Self.raw(
                baseURL, "GET", "/service/tickets?conditions=\(PSAHTTP.queryEncode("owner/name=\"x\""))", headers: signed)
            #expect(condition.status == 400)
            #expect(condition.body["code"] as? String == "ApiFindCondition")
            #expect(condition.body["message"] as? String == "owner/name is not a recognized name.")

            #expect(sim.writeCount == writes)
        }
    }
}
