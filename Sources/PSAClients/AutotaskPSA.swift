import Foundation

extension PSAClient {
    /// Autotask (Datto) PSA over its REST API v1.0 at the zone URL `https://webservicesN.autotask.net/ATServicesRest/V1.0`.
    ///
    /// Every call carries the API-only user's headers `ApiIntegrationCode` (`connection.clientId`), `UserName`
    /// (`connection.username`) and `Secret` (`connection.secret`). Child entities are written through their parent
    /// (`Tickets/{id}/Notes`, `Tickets/{id}/Attachments`, `Companies/{id}/Contacts`); queries are POSTed filters whose
    /// pages are cursors that must be POSTed again with the same filter. Autotask answers a refused field or business
    /// rule with HTTP 500 and `{"errors":[…]}`, which this client reports as `.invalid`, not as an outage.
    public static func autotask(_ connection: PSAConnection, http: PSAHTTP) -> PSAClient {
        let autotask = AutotaskAPI(connection: connection, http: http)
        return PSAClient(
            kind: .autotask,
            verify: { () async throws(PSAError) -> String in try await autotask.verify() },
            ticket: { (id: String) async throws(PSAError) -> PSATicket in try await autotask.ticket(id) },
            openTickets: { (queue: PSAQueue) async throws(PSAError) -> [PSATicket] in
                try await autotask.openTickets(queue)
            },
            addNote: { (ticket: String, note: PSANote) async throws(PSAError) -> String in
                try await autotask.addNote(ticket, note)
            },
            addTime: { (ticket: String, entry: PSATimeEntry) async throws(PSAError) -> String in
                try await autotask.addTime(ticket, entry)
            },
            setStatus: { (ticket: String, status: String) async throws(PSAError) -> Void in
                try await autotask.setStatus(ticket, status)
            },
            deactivateContact: { (email: String, company: String) async throws(PSAError) -> String? in
                try await autotask.deactivateContact(email, company: company)
            },
            attach: { (ticket: String, fileName: String, data: Data) async throws(PSAError) -> String in
                try await autotask.attach(ticket, fileName: fileName, data: data)
            })
    }
}

/// The wire details of one Autotask zone and API user.
private struct AutotaskAPI: Sendable {
    /// Autotask's system status "Complete", the one closed status every instance has.
    static let completeStatus = 5
    /// TicketNotes `publish` 2 is "Internal Project Team"; 1 ("All Autotask Users") is the value the client portal shows.
    static let internalNotePublish = 2
    /// TicketNotes `noteType` 3 ("Task Notes"), the general note type; 1 "Task Summary" and 2 "Task Detail" are the others.
    static let noteType = 3
    /// TicketAttachments `publish` 2 is "Internal Users Only".
    static let internalAttachmentPublish = 2
    /// TicketNotes limits: `description` 32000 characters, `title` 250.
    static let noteTextLimit = 32_000
    static let noteTitleLimit = 250
    /// A bound on cursor pages, so a server that keeps handing out `nextPageUrl` cannot loop a poll forever.
    static let maxPages = 400
    /// Ids per `in` filter when contacts are looked up in bulk.
    static let idsPerQuery = 200

    let base: String
    let username: String
    let headers: [(String, String)]
    let http: PSAHTTP

    init(connection: PSAConnection, http: PSAHTTP) {
        var base = connection.url.trimmingCharacters(in: .whitespacesAndNewlines)
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        username = connection.username ?? ""
        headers = [
            ("ApiIntegrationCode", connection.clientId), ("UserName", connection.username ?? ""),
            ("Secret", connection.secret), ("Accept", "application/json"), ("Content-Type", "application/json"),
        ]
        self.http = http
    }

    // MARK: - Operations

    func verify() async throws(PSAError) -> String {
        do throws(PSAError) {
            _ = try await call("GET", "Tickets/entityInformation")
        } catch {
            // Autotask answers an unknown API user or integration code with HTTP 500, not 401.
            guard error.status == 500 else { throw error }
            throw PSAError(
                .unauthorized, status: 500,
                "Autotask refused the API user or integration code (it answers those with HTTP 500): \(error.message)")
        }
        return "\(username) on \(URL(string: base)?.host ?? base)"
    }

    func ticket(_ id: String) async throws(PSAError) -> PSATicket {
        let ticketID = try Self.number(id, "ticket id")
        let answer = try await call("GET", "Tickets/\(ticketID)")
        guard let item = answer["item"] as? [String: Any] else {
            throw PSAError(.notFound, "Autotask has no ticket \(id)")
        }
        var ticket = try Self.ticket(from: item)
        if let contactID = Self.int(item["contactID"]) {
            let contact = try await call("GET", "Contacts/\(contactID)")
            ticket.contactEmail = (contact["item"] as? [String: Any]).flatMap { Self.text($0["emailAddress"]) }
        }
        return ticket
    }

    func openTickets(_ queue: PSAQueue) async throws(PSAError) -> [PSATicket] {
        var conditions: [[String: Any]] = []
        if let company = queue.company {
            conditions.append(["op": "eq", "field": "companyID", "value": try Self.number(company, "company id")])
        }
        if let board = queue.board {
            conditions.append(["op": "eq", "field": "queueID", "value": try Self.number(board, "queue id")])
        }
        if queue.statuses.isEmpty {
            conditions.append(["op": "noteq", "field": "status", "value": Self.completeStatus])
        } else {
            var statuses: [Int] = []
            for status in queue.statuses { statuses.append(try Self.number(status, "status id")) }
            conditions.append(["op": "in", "field": "status", "value": statuses])
        }
        let items = try await queryAll("Tickets", filter: [["op": "and", "items": conditions]])
        var tickets: [PSATicket] = []
        for item in items { tickets.append(try Self.ticket(from: item)) }

        // One contact query per batch of ids instead of a GET per ticket.
        let contactIDs = Array(Set(items.compactMap { Self.int($0["contactID"]) })).sorted()
        var emails: [Int: String] = [:]
        var start = 0
        while start < contactIDs.count {
            let batch = Array(contactIDs[start..<min(start + Self.idsPerQuery, contactIDs.count)])
            start += Self.idsPerQuery
            for contact in try await queryAll("Contacts", filter: [["op": "in", "field": "id", "value": batch]]) {
                if let id = Self.int(contact["id"]), let email = Self.text(contact["emailAddress"]) { emails[id] = email }
            }
        }
        for (index, item) in items.enumerated() {
            tickets[index].contactEmail = Self.int(item["contactID"]).flatMap { emails[$0] }
        }
        return tickets.sorted { left, right in
            switch (left.createdAt, right.createdAt) {
            case (let l?, let r?) where l != r: l < r
            case (.some, nil): true
            case (nil, .some): false
            default: (Int(left.id) ?? 0) < (Int(right.id) ?? 0)
            }
        }
    }

    func addNote(_ ticket: String, _ note: PSANote) async throws(PSAError) -> String {
        let ticketID = try Self.number(ticket, "ticket id")
        var text = note.text
        if text.count > Self.noteTextLimit {
            let marker = "\n… (truncated: Autotask keeps \(Self.noteTextLimit) characters per note)"
            text = String(text.prefix(Self.noteTextLimit - marker.count)) + marker
        }
        let title = note.title.isEmpty ? "Turnover" : String(note.title.prefix(Self.noteTitleLimit))
        let answer = try await call(
            "POST", "Tickets/\(ticketID)/Notes",
            body: [
                "ticketID": ticketID, "title": title, "description": text, "noteType": Self.noteType,
                "publish": Self.internalNotePublish,
            ])
        return try Self.itemId(answer)
    }

    func addTime(_ ticket: String, _ entry: PSATimeEntry) async throws(PSAError) -> String {
        let ticketID = try Self.number(ticket, "ticket id")
        // Two decimals (36-second steps) is ample for billing and keeps Autotask from storing float noise.
        let hours = (entry.end.timeIntervalSince(entry.start) / 3600 * 100).rounded() / 100
        var body: [String: Any] = [
            "ticketID": ticketID, "dateWorked": Self.dayWorked(entry.start), "startDateTime": Self.format(entry.start),
            "endDateTime": Self.format(entry.end), "hoursWorked": hours, "summaryNotes": entry.summary,
        ]
        // Autotask itself refuses a missing resource or role ("TimeEntries for Tickets must have a roleID."); only
        // ids that cannot be Autotask ids are refused here.
        if let member = entry.member { body["resourceID"] = try Self.number(member, "resource id (member)") }
        if let role = entry.role { body["roleID"] = try Self.number(role, "role id") }
        return try Self.itemId(try await call("POST", "TimeEntries", body: body))
    }

    func setStatus(_ ticket: String, _ status: String) async throws(PSAError) -> Void {
        let body: [String: Any] = [
            "id": try Self.number(ticket, "ticket id"), "status": try Self.number(status, "status id"),
        ]
        _ = try await call("PATCH", "Tickets", body: body)
    }

    /// Deactivates every contact whose primary address is the e-mail (one person can be a contact of several
    /// companies) and returns the first one's id. Contacts are children of companies, so writes go through the company.
    func deactivateContact(_ email: String, company: String) async throws(PSAError) -> String? {
        let companyID = try Self.number(company, "company id")
        // Only the client's own contacts: the same address may be a contact at another client too.
        let contacts = try await queryAll(
            "Contacts",
            filter: [
                [
                    "op": "and",
                    "items": [
                        ["op": "eq", "field": "emailAddress", "value": email], ["op": "eq", "field": "companyID", "value": companyID],
                    ],
                ]
            ]
        ).filter { Self.int($0["companyID"]) == companyID }
        for contact in contacts where Self.int(contact["isActive"]) != 0 {
            guard let id = Self.int(contact["id"]), let company = Self.int(contact["companyID"]) else {
                throw PSAError(.unexpected, "Autotask returned a contact without an id or company")
            }
            _ = try await call("PATCH", "Companies/\(company)/Contacts", body: ["id": id, "isActive": 0])
        }
        return contacts.first.flatMap { Self.int($0["id"]) }.map(String.init)
    }

    func attach(_ ticket: String, fileName: String, data: Data) async throws(PSAError) -> String {
        let ticketID = try Self.number(ticket, "ticket id")
        let answer = try await call(
            "POST", "Tickets/\(ticketID)/Attachments",
            body: [
                "attachmentType": "FILE_ATTACHMENT", "fullPath": fileName, "title": fileName,
                "publish": Self.internalAttachmentPublish, "data": data.base64EncodedString(),
            ])
        return try Self.itemId(answer)
    }

    // MARK: - HTTP

    /// All items of a query, following `nextPageUrl`. Each page is POSTed with the same filter: the cursor carries
    /// only the position, and Autotask answers a GET on it with 405.
    private func queryAll(_ entity: String, filter: [[String: Any]]) async throws(PSAError) -> [[String: Any]] {
        let body = try Self.encode(["filter": filter])
        var items: [[String: Any]] = []
        var page: String? = url("\(entity)/query")
        var pages = 0
        while let pageURL = page {
            pages += 1
            guard pages <= Self.maxPages else {
                throw PSAError(.unexpected, "Autotask kept paging \(entity) past \(Self.maxPages) pages")
            }
            let answer = try Self.object(try await send("POST", pageURL, body: body))
            guard let pageItems = answer["items"] as? [[String: Any]] else {
                throw PSAError(.unexpected, "Autotask answered a \(entity) query without items")
            }
            items += pageItems
            page = nil
            if let next = (answer["pageDetails"] as? [String: Any]).flatMap({ Self.text($0["nextPageUrl"]) }) {
                page = try sameOrigin(next)
            }
        }
        return items
    }

    /// The cursor as an absolute URL on the zone's own origin. The credentials go with every request, so a cursor
    /// may only lead back to where they were meant for; a path-only cursor is taken relative to the base URL.
    private func sameOrigin(_ next: String) throws(PSAError) -> String {
        guard let origin = URL(string: base), let target = URL(string: next, relativeTo: origin)?.absoluteURL,
            target.scheme?.lowercased() == origin.scheme?.lowercased(),
            target.host?.lowercased() == origin.host?.lowercased(), target.port == origin.port
        else { throw PSAError(.unexpected, "Autotask's next page points away from \(base); not following \(next)") }
        return target.absoluteString
    }

    private func call(_ method: String, _ path: String, body: [String: Any]? = nil) async throws(PSAError) -> [String: Any] {
        let data: Data? = if let body { try Self.encode(body) } else { nil }
        return try Self.object(try await send(method, url(path), body: data))
    }

    private func url(_ path: String) -> String { "\(base)/\(path)" }

    private func send(_ method: String, _ url: String, body: Data?) async throws(PSAError) -> PSAHTTP.Reply {
        let reply = try await http.send(method, url, headers: headers, body: body)
        guard !(200..<300).contains(reply.status) else { return reply }
        let errors = Self.errors(in: reply)
        // A refused value or rule comes as HTTP 500 with `errors`; retrying it would only be refused again.
        if reply.status == 500, !errors.isEmpty {
            throw PSAError(.invalid, status: 500, errors.joined(separator: "; "))
        }
        try PSAHTTP.check(reply) { reply in
            let errors = Self.errors(in: reply)
            if !errors.isEmpty { return errors.joined(separator: "; ") }
            // ASP.NET's own answers (no route, wrong method) carry a `Message`; a 401 comes with no body at all.
            if let message = (reply.json as? [String: Any])?["Message"] as? String { return message }
            return reply.status == 401 ? "Autotask refused the API user's credentials" : nil
        }
        return reply
    }

    // MARK: - JSON

    /// Autotask's `{"errors": ["…"]}`; some answers carry objects with a `message` instead of strings.
    private static func errors(in reply: PSAHTTP.Reply) -> [String] {
        guard let errors = (reply.json as? [String: Any])?["errors"] as? [Any] else { return [] }
        return errors.compactMap { error in
            (error as? String) ?? ((error as? [String: Any])?["message"] as? String)
        }.filter { !$0.isEmpty }
    }

    private static func encode(_ body: [String: Any]) throws(PSAError) -> Data {
        do { return try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) } catch {
            throw PSAError(.unexpected, "could not encode the request: \(error)")
        }
    }

    private static func object(_ reply: PSAHTTP.Reply) throws(PSAError) -> [String: Any] {
        guard let object = reply.json as? [String: Any] else {
            throw PSAError(.unexpected, status: reply.status, "Autotask answered with something other than a JSON object")
        }
        return object
    }

    private static func itemId(_ answer: [String: Any]) throws(PSAError) -> String {
        guard let id = int(answer["itemId"]) else { throw PSAError(.unexpected, "Autotask did not return an itemId") }
        return String(id)
    }

    private static func ticket(from item: [String: Any]) throws(PSAError) -> PSATicket {
        guard let id = int(item["id"]) else { throw PSAError(.unexpected, "Autotask returned a ticket without an id") }
        var fields: [String: String] = [:]
        for field in item["userDefinedFields"] as? [[String: Any]] ?? [] {
            if let name = text(field["name"]), let value = text(field["value"]) { fields[name] = value }
        }
        // The REST API returns the text-only version of a ticket's description, so there is no HTML to reduce.
        return PSATicket(
            id: String(id), summary: text(item["title"]) ?? "",
            details: (text(item["description"]) ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            company: int(item["companyID"]).map(String.init), board: int(item["queueID"]).map(String.init),
            status: int(item["status"]).map(String.init), contactEmail: nil, fields: fields,
            createdAt: text(item["createDate"]).flatMap(date))
    }

    private static func number(_ text: String, _ what: String) throws(PSAError) -> Int {
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw PSAError(.invalid, "an Autotask \(what) is a number, not '\(text)'")
        }
        return number
    }

    private static func int(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: number
        case let number as Double where number == number.rounded(): Int(exactly: number)
        case let text as String: Int(text)
        default: nil
        }
    }

    /// Text, or nil for JSON null and empty strings.
    private static func text(_ value: Any?) -> String? {
        switch value {
        case let text as String: text.isEmpty ? nil : text
        case let number as Int: String(number)
        case let number as Double: String(number)
        default: nil
        }
    }

    /// Autotask's timestamps are UTC, with or without fractions and sometimes without the zone designator.
    private static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) ?? formatter.date(from: text + "Z") { return date }
        }
        return nil
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The UTC day of the start, at midnight: Autotask measures time entries in UTC.
    private static func dayWorked(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date) + "T00:00:00Z"
    }
}
