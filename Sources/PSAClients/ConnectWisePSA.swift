import Foundation

extension PSAClient {
    /// ConnectWise PSA (Manage) over its REST API 3.0 at `connection.url` (`https://{site}/v4_6_release/apis/3.0`).
    ///
    /// Signs every request with `Authorization: Basic base64(companyId+publicKey:privateKey)` (`account`,
    /// `username`, `secret`) and the integration's `clientId` header, as ConnectWise's developer guide requires.
    /// Ticket, board, company and status ids are ConnectWise's numbers; the description is the ticket's first
    /// discussion note (ConnectWise takes `initialDescription` on create only and never returns it).
    public static func connectWise(_ connection: PSAConnection, http: PSAHTTP) -> PSAClient {
        let api = ConnectWiseAPI(connection: connection, http: http)
        return PSAClient(
            kind: .connectWise,
            verify: { () async throws(PSAError) -> String in try await api.verify() },
            ticket: { (id: String) async throws(PSAError) -> PSATicket in try await api.ticket(id) },
            openTickets: { (queue: PSAQueue) async throws(PSAError) -> [PSATicket] in try await api.openTickets(queue) },
            addNote: { (ticket: String, note: PSANote) async throws(PSAError) -> String in try await api.addNote(ticket, note) },
            addTime: { (ticket: String, entry: PSATimeEntry) async throws(PSAError) -> String in
                try await api.addTime(ticket, entry)
            },
            setStatus: { (ticket: String, status: String) async throws(PSAError) in try await api.setStatus(ticket, status) },
            deactivateContact: { (email: String, company: String) async throws(PSAError) -> String? in
                try await api.deactivateContact(email, company: company)
            },
            attach: { (ticket: String, fileName: String, data: Data) async throws(PSAError) -> String in
                try await api.attach(ticket, fileName, data)
            })
    }
}

/// The ConnectWise calls, one method each, over `PSAHTTP`.
struct ConnectWiseAPI: Sendable {
    let connection: PSAConnection
    let http: PSAHTTP
    let base: String

    /// Records asked for per page. ConnectWise defaults to 25 and caps at 1,000; the `Link` header says whether
    /// there is more, so a server that caps lower still pages correctly.
    static let pageSize = 250
    /// A bound on one listing, so that a server that always answers `rel="next"` cannot keep the poll forever.
    static let pageLimit = 200

    init(connection: PSAConnection, http: PSAHTTP) {
        self.connection = connection
        self.http = http
        var base = connection.url
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    /// ConnectWise's error body is `{"code", "message", "errors": [{"code", "message", "resource", "field"}]}`;
    /// throttling answers `{"error", "message"}`. The field errors carry the useful part ("Please choose where to
    /// display the notes…"), so they go into the message.
    static let readError: @Sendable (PSAHTTP.Reply) -> String? = { reply in
        guard let body = reply.json as? [String: Any] else { return nil }
        var text = body["message"] as? String ?? ""
        if let code = body["code"] as? String ?? body["error"] as? String {
            text = text.isEmpty ? code : "\(code): \(text)"
        }
        let details = (body["errors"] as? [[String: Any]] ?? []).compactMap { error -> String? in
            guard let message = error["message"] as? String else { return nil }
            return (error["field"] as? String).map { "\($0): \(message)" } ?? message
        }
        if !details.isEmpty { text += " (" + details.joined(separator: "; ") + ")" }
        return text.isEmpty ? nil : text
    }

    func headers() throws(PSAError) -> [(String, String)] {
        guard let company = connection.account, !company.isEmpty, let publicKey = connection.username, !publicKey.isEmpty,
            !connection.secret.isEmpty
        else {
            throw PSAError(
                .unauthorized,
                "ConnectWise signs in with the company id (account), an API member's public key (username) and its private key (secret)")
        }
        guard !connection.clientId.isEmpty else {
            throw PSAError(.unauthorized, "ConnectWise needs the integration's clientId (https://developer.connectwise.com/ClientID)")
        }
        let basic = Data("\(company)+\(publicKey):\(connection.secret)".utf8).base64EncodedString()
        return [("Authorization", "Basic \(basic)"), ("clientId", connection.clientId)]
    }

    func request(_ method: String, _ path: String, body: Any? = nil) async throws(PSAError) -> PSAHTTP.Reply {
        try await http.json(method, base + path, headers: try headers(), body: body, readMessage: { Self.readError($0) })
    }

    func object(_ reply: PSAHTTP.Reply, _ what: String) throws(PSAError) -> [String: Any] {
        guard let object = reply.json as? [String: Any] else {
            throw PSAError(.unexpected, status: reply.status, "ConnectWise answered \(what) with something that is not a JSON object")
        }
        return object
    }

    /// `system/info` names the version; some servers answer it without signing in, so one ticket id is read too,
    /// which needs the keys and the Service Tickets permission every later call needs.
    func verify() async throws(PSAError) -> String {
        let info = try object(try await request("GET", "/system/info"), "system/info")
        let version = info["version"] as? String ?? "unknown version"
        _ = try await request("GET", "/service/tickets?\(Self.query([("fields", "id"), ("pageSize", "1")]))")
        return "company \(connection.account ?? "") on ConnectWise PSA \(version)"
    }

    func ticket(_ id: String) async throws(PSAError) -> PSATicket {
        let number = try Self.number(id, "ticket")
        let ticket = try object(try await request("GET", "/service/tickets/\(number)"), "ticket \(number)")
        // The description is the first note that shows in the discussion (detailDescriptionFlag).
        let query = Self.query([("conditions", "detailDescriptionFlag=true"), ("orderBy", "id asc"), ("pageSize", "1")])
        let notes = try await request("GET", "/service/tickets/\(number)/notes?\(query)")
        let first = (notes.json as? [[String: Any]])?.first
        return try Self.ticket(from: ticket, details: (first?["text"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The queue's open tickets, oldest first. The list does not carry the description (it is a note), so
    /// `details` is empty here; `ticket(_:)` reads it.
    func openTickets(_ queue: PSAQueue) async throws(PSAError) -> [PSATicket] {
        var conditions: [String] = []
        if let board = queue.board { conditions.append("board/id=\(try Self.number(board, "board"))") }
        if let company = queue.company { conditions.append("company/id=\(try Self.number(company, "company"))") }
        if !queue.statuses.isEmpty {
            var ids: [String] = []
            for status in queue.statuses { ids.append(String(try Self.number(status, "status"))) }
            conditions.append("status/id in (\(ids.joined(separator: ",")))")
        }
        conditions.append("closedFlag=false")
        var tickets: [PSATicket] = []
        for row in try await everyPage("/service/tickets", conditions: conditions.joined(separator: " and ")) {
            tickets.append(try Self.ticket(from: row, details: ""))
        }
        return tickets
    }

    func addNote(_ ticket: String, _ note: PSANote) async throws(PSAError) -> String {
        let number = try Self.number(ticket, "ticket")
        // ConnectWise notes have no title; it leads the text. Internal analysis only, and no e-mail to the contact.
        let text = note.title.isEmpty ? note.text : "\(note.title)\n\n\(note.text)"
        let body: [String: Any] = [
            "text": text, "detailDescriptionFlag": false, "internalAnalysisFlag": true, "resolutionFlag": false,
            "processNotifications": false,
        ]
        let created = try object(try await request("POST", "/service/tickets/\(number)/notes", body: body), "the new note")
        return try Self.id(created, "the new note")
    }

    func addTime(_ ticket: String, _ entry: PSATimeEntry) async throws(PSAError) -> String {
        let number = try Self.number(ticket, "ticket")
        var body: [String: Any] = [
            "chargeToId": number, "chargeToType": "ServiceTicket", "timeStart": Self.stamp(entry.start),
            "timeEnd": Self.stamp(entry.end), "notes": entry.summary,
            // Shown with the ticket's internal analysis, not in the discussion the contact reads.
            "addToDetailDescriptionFlag": false, "addToInternalAnalysisFlag": true, "addToResolutionFlag": false,
            "emailResourceFlag": false, "emailContactFlag": false, "emailCcFlag": false,
        ]
        if let member = entry.member, !member.isEmpty { body["member"] = ["identifier": member] }
        let created = try object(try await request("POST", "/time/entries", body: body), "the new time entry")
        return try Self.id(created, "the new time entry")
    }

    func setStatus(_ ticket: String, _ status: String) async throws(PSAError) {
        let number = try Self.number(ticket, "ticket")
        let patch: [[String: Any]] = [["op": "replace", "path": "status", "value": ["id": try Self.number(status, "status")]]]
        _ = try await request("PATCH", "/service/tickets/\(number)", body: patch)
    }

    /// Every contact with the address as an e-mail communication item is made inactive (one person can be a
    /// contact twice); the first one's id is returned.
    func deactivateContact(_ email: String, company: String) async throws(PSAError) -> String? {
        let address = email.trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty, !address.contains("\"") else { throw PSAError(.invalid, "\"\(email)\" is not an e-mail address") }
        let companyNumber = try Self.number(company, "company")
        let child = "communicationItems/value=\"\(address)\" AND communicationItems/communicationType=\"Email\""
        // Only the client's own contacts: the same address may be a contact at another client too.
        let contacts = try await everyPage("/company/contacts", childConditions: child).filter {
            (($0["company"] as? [String: Any])?["id"]).map { "\($0)" } == String(companyNumber)
        }
        var first: String?
        for contact in contacts {
            let id = try Self.id(contact, "a contact")
            first = first ?? id
            guard contact["inactiveFlag"] as? Bool != true else { continue }
            let patch: [[String: Any]] = [["op": "replace", "path": "inactiveFlag", "value": true]]
            _ = try await request("PATCH", "/company/contacts/\(id)", body: patch)
        }
        return first
    }

    /// `POST system/documents` takes multipart/form-data only (JSON is 415): the record, a title and the file.
    func attach(_ ticket: String, _ fileName: String, _ data: Data) async throws(PSAError) -> String {
        let number = try Self.number(ticket, "ticket")
        let boundary = "turnover-\(UUID().uuidString)"
        let name = Self.headerSafe(fileName)
        var body = Data()
        for (field, value) in [("recordType", "Ticket"), ("recordId", String(number)), ("title", name), ("privateFlag", "true")] {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"\r\n\r\n\(value)\r\n".utf8))
        }
        let fileHeader = "Content-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream"
        body.append(Data("--\(boundary)\r\n\(fileHeader)\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let fields = try headers() + [("Accept", "application/json"), ("Content-Type", "multipart/form-data; boundary=\(boundary)")]
        let reply = try await http.send("POST", base + "/system/documents", headers: fields, body: body)
        try PSAHTTP.check(reply, readMessage: { Self.readError($0) })
        return try Self.id(try object(reply, "the new document"), "the new document")
    }

    // MARK: - Lists

    /// Reads every page of a list, oldest first, following ConnectWise's `Link: <…>; rel="next"`.
    func everyPage(
        _ path: String, conditions: String? = nil, childConditions: String? = nil
    ) async throws(PSAError)
        -> [[String: Any]]
    {
        var rows: [[String: Any]] = []
        for page in 1...Self.pageLimit {
            var parameters: [(String, String)] = []
            if let conditions { parameters.append(("conditions", conditions)) }
            if let childConditions { parameters.append(("childConditions", childConditions)) }
            parameters += [("orderBy", "id asc"), ("page", String(page)), ("pageSize", String(Self.pageSize))]
            let reply = try await request("GET", "\(path)?\(Self.query(parameters))")
            guard let batch = reply.json as? [[String: Any]] else {
                throw PSAError(.unexpected, status: reply.status, "ConnectWise answered \(path) with something that is not a list")
            }
            rows += batch
            if let link = reply.header("Link") {
                guard link.contains("rel=\"next\"") else { return rows }
            } else if batch.count < Self.pageSize {
                return rows
            }
        }
        throw PSAError(.unexpected, "ConnectWise kept answering more pages of \(path) after \(Self.pageLimit)")
    }

    // MARK: - Reading and writing ConnectWise's values

    static func ticket(from json: [String: Any], details: String) throws(PSAError) -> PSATicket {
        let identifier = try Self.id(json, "a ticket")
        func reference(_ name: String) -> String? { text((json[name] as? [String: Any])?["id"]) }
        var fields: [String: String] = [:]
        for field in json["customFields"] as? [[String: Any]] ?? [] {
            guard let caption = field["caption"] as? String, let value = field["value"] else { continue }
            if field["type"] as? String == "Checkbox", let flag = value as? Bool {
                fields[caption] = flag ? "true" : "false"
            } else if let value = text(value), !value.isEmpty {
                fields[caption] = value
            }
        }
        let info = json["_info"] as? [String: Any]
        let email = (json["contactEmailAddress"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return PSATicket(
            id: identifier, summary: json["summary"] as? String ?? "", details: details, company: reference("company"),
            board: reference("board"), status: reference("status"), contactEmail: email, fields: fields,
            createdAt: (info?["dateEntered"] as? String).flatMap(parseStamp))
    }

    static func id(_ json: [String: Any], _ what: String) throws(PSAError) -> String {
        guard let id = text(json["id"]), !id.isEmpty else { throw PSAError(.unexpected, "ConnectWise answered \(what) without an id") }
        return id
    }

    /// A JSON scalar as text: ConnectWise ids are numbers, custom field values strings or numbers.
    static func text(_ value: Any?) -> String? {
        guard let value else { return nil }
        switch value {
        case let text as String: return text
        case let number as Int: return String(number)
        case let number as Double: return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        default: return nil
        }
    }

    /// ConnectWise ids are whole numbers; anything else would be spliced into a condition or a path.
    static func number(_ text: String, _ what: String) throws(PSAError) -> Int {
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)), number > 0 else {
            throw PSAError(.invalid, "ConnectWise \(what) ids are numbers; \"\(text)\" is not one")
        }
        return number
    }

    static func query(_ parameters: [(String, String)]) -> String {
        parameters.map { "\($0.0)=\(PSAHTTP.queryEncode($0.1))" }.joined(separator: "&")
    }

    /// A file name inside a quoted multipart header: no quotes, no line breaks.
    static func headerSafe(_ name: String) -> String {
        let cleaned = name.map { "\"\r\n".contains($0) ? "_" : String($0) }.joined()
        return cleaned.isEmpty ? "attachment" : cleaned
    }

    /// ConnectWise dates: `yyyy-MM-ddTHH:mm:ssZ`, in UTC, without fractions of a second.
    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func parseStamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
