import Foundation
import Synchronization

extension PSAClient {
    /// HaloPSA over its REST API: an OAuth2 client-credentials token from `{url}/auth/token` (or
    /// `connection.authURL`), `?tenant={account}` for Halo-hosted instances, then Bearer calls on `{url}/api`.
    ///
    /// Halo has no PATCH: a record is updated by POSTing a JSON array of records that carry their `id`.
    /// In Turnover a "board" is a Halo ticket type (`tickettype_id`) and a contact is a Halo user.
    public static func haloPSA(_ connection: PSAConnection, http: PSAHTTP) -> PSAClient {
        let halo = HaloAPI(connection: connection, http: http)
        return PSAClient(
            kind: .haloPSA,
            verify: { () async throws(PSAError) -> String in try await halo.verify() },
            ticket: { (id: String) async throws(PSAError) -> PSATicket in try await halo.ticket(id) },
            openTickets: { (queue: PSAQueue) async throws(PSAError) -> [PSATicket] in try await halo.openTickets(queue) },
            addNote: { (ticket: String, note: PSANote) async throws(PSAError) -> String in
                try await halo.addNote(ticket, note)
            },
            addTime: { (ticket: String, entry: PSATimeEntry) async throws(PSAError) -> String in
                try await halo.addTime(ticket, entry)
            },
            setStatus: { (ticket: String, status: String) async throws(PSAError) -> Void in
                try await halo.setStatus(ticket, status)
            },
            deactivateContact: { (email: String, company: String) async throws(PSAError) -> String? in
                try await halo.deactivateContact(email, company: company)
            },
            attach: { (ticket: String, fileName: String, data: Data) async throws(PSAError) -> String in
                try await halo.attach(ticket, fileName: fileName, data: data)
            })
    }
}

/// The last token Halo issued, shared by every call of one client.
final class HaloTokenCache: Sendable {
    struct Token: Sendable {
        var value: String
        /// When to stop using it: a little before Halo's `expires_in`, so it never lapses mid-request.
        var renewAt: Date
    }

    private let current = Mutex<Token?>(nil)

    func usable(at now: Date) -> String? {
        current.withLock { token in
            guard let token, token.renewAt > now else { return nil }
            return token.value
        }
    }

    func store(_ token: Token) { current.withLock { $0 = token } }

    /// Forgets a token Halo refused, unless another call already replaced it.
    func drop(_ value: String) {
        current.withLock { token in
            if token?.value == value { token = nil }
        }
    }
}

/// The wire details of one Halo instance.
struct HaloAPI: Sendable {
    /// The built-in "Private Note" outcome CIPP falls back to. Halo refuses an action without an outcome
    /// ("An Outcome must be entered for this Action") and the connection has no field to name another one.
    static let privateNoteOutcome = 7
    /// Halo's page size for ticket lists; a server may answer with fewer, which the paging loop tolerates.
    static let pageSize = 100

    let apiBase: String
    let tokenURL: String
    let clientId: String
    let secret: String
    let http: PSAHTTP
    let tokens = HaloTokenCache()
    let now: @Sendable () -> Date

    init(connection: PSAConnection, http: PSAHTTP, now: @escaping @Sendable () -> Date = { Date() }) {
        var instance = connection.url.trimmingCharacters(in: .whitespacesAndNewlines)
        while instance.hasSuffix("/") { instance.removeLast() }
        // Halo's settings page shows the resource server as ".../api"; accept it as well as the bare instance.
        if instance.lowercased().hasSuffix("/api") { instance.removeLast(4) }
        apiBase = instance + "/api"
        var token = instance + "/auth/token"
        if var server = connection.authURL?.trimmingCharacters(in: .whitespacesAndNewlines), !server.isEmpty {
            while server.hasSuffix("/") { server.removeLast() }
            // Halo's settings page names the authorisation server (".../auth"); its token endpoint is below it.
            token = server.lowercased().hasSuffix("/token") || server.contains("?") ? server : server + "/token"
        }
        if let tenant = connection.account?.trimmingCharacters(in: .whitespaces), !tenant.isEmpty {
            token += (token.contains("?") ? "&" : "?") + "tenant=" + PSAHTTP.queryEncode(tenant)
        }
        tokenURL = token
        clientId = connection.clientId
        secret = connection.secret
        self.http = http
        self.now = now
    }

    // MARK: - Operations

    func verify() async throws(PSAError) -> String {
        let reply = try await call("GET", "/Agent/me")
        guard let agent = reply.json as? [String: Any] else { throw Self.unreadable("the signed-in agent") }
        let name = (agent["name"] as? String) ?? "agent"
        return "\(name) (Halo agent \(Self.identifier(agent["id"]) ?? "?"))"
    }

    func ticket(_ id: String) async throws(PSAError) -> PSATicket {
        let number = try Self.recordNumber(id, of: "ticket")
        // Without includedetails Halo leaves out the HTML description and the custom fields.
        let reply = try await call("GET", "/Tickets/\(number)", query: [("includedetails", "true")])
        guard let record = reply.json as? [String: Any] else { throw Self.unreadable("ticket \(number)") }
        return try Self.ticket(from: record)
    }

    func openTickets(_ queue: PSAQueue) async throws(PSAError) -> [PSATicket] {
        var filters: [(String, String)] = [("open_only", "true")]
        var client: Int?
        if let company = queue.company {
            client = try Self.recordNumber(company, of: "client")
            filters.append(("client_id", "\(client ?? 0)"))
        }
        var ticketType: Int?
        if let board = queue.board {
            // The list filter for a ticket type goes by Halo's older name for it, request type.
            ticketType = try Self.recordNumber(board, of: "ticket type")
            filters.append(("requesttype_id", "\(ticketType ?? 0)"))
        }
        var statuses: [Int] = []
        for status in queue.statuses { statuses.append(try Self.recordNumber(status, of: "status")) }
        if statuses.count == 1 {
            filters.append(("status_id", "\(statuses[0])"))
        } else if !statuses.isEmpty {
            filters.append(("status", statuses.map(String.init).joined(separator: ",")))
        }
        filters += [("pageinate", "true"), ("page_size", "\(Self.pageSize)"), ("order", "id"), ("orderdesc", "false")]

        var found: [Int: PSATicket] = [:]
        var page = 1
        while true {
            let reply = try await call("GET", "/Tickets", query: filters + [("page_no", "\(page)")])
            guard let body = reply.json as? [String: Any], let records = body["tickets"] as? [[String: Any]] else {
                throw Self.unreadable("the ticket list")
            }
            var listed = 0
            for record in records {
                let ticket = try Self.ticket(from: record)
                if let number = Int(ticket.id) { found[number] = ticket }
                listed += 1
            }
            // Halo may cap page_size below what was asked, so the count decides, not the page arithmetic;
            // an empty page also ends it, as record_count can change while we page.
            if listed == 0 { break }
            if let total = Self.number(body["record_count"]) {
                if Double(found.count) >= total { break }
            } else if listed < Self.pageSize {
                break
            }
            page += 1
            if page > 1_000 { throw PSAError(.unexpected, "Halo kept paging past 1000 pages of tickets") }
        }
        // Halo ignores a filter it does not know; these are the ones the poll depends on.
        return found.sorted { $0.key < $1.key }.map(\.value).filter { ticket in
            (client == nil || ticket.company.flatMap { Int($0) } == client)
                && (ticketType == nil || ticket.board.flatMap { Int($0) } == ticketType)
                && (statuses.isEmpty || ticket.status.flatMap { Int($0) }.map { statuses.contains($0) } == true)
        }
    }

    func addNote(_ ticket: String, _ note: PSANote) async throws(PSAError) -> String {
        let number = try Self.recordNumber(ticket, of: "ticket")
        var html = note.html.isEmpty ? Self.paragraphs(note.text) : note.html
        // Halo actions have no title of their own, so it leads the note.
        if !note.title.isEmpty { html = "<p><strong>\(Self.escape(note.title))</strong></p>" + html }
        let action: [String: Any] = [
            "ticket_id": number, "outcome_id": Self.privateNoteOutcome, "note_html": html, "hiddenfromuser": true,
        ]
        return try created(try await call("POST", "/Actions", body: [action]), "action")
    }

    /// Halo keeps time on an action: `timetaken` in hours, with the agent as `who_agentid`.
    func addTime(_ ticket: String, _ entry: PSATimeEntry) async throws(PSAError) -> String {
        let number = try Self.recordNumber(ticket, of: "ticket")
        let seconds = entry.end.timeIntervalSince(entry.start)
        guard seconds > 0 else { throw PSAError(.invalid, "a time entry must end after it starts") }
        let formatter = ISO8601DateFormatter()
        var action: [String: Any] = [
            "ticket_id": number, "outcome_id": Self.privateNoteOutcome, "hiddenfromuser": true,
            "note_html": Self.paragraphs(entry.summary),
            "timetaken": (seconds / 3600 * 10_000).rounded() / 10_000,
            "actionarrivaldate": formatter.string(from: entry.start),
            "actioncompletiondate": formatter.string(from: entry.end),
        ]
        if let member = entry.member?.trimmingCharacters(in: .whitespaces), !member.isEmpty {
            action["who_agentid"] = try Self.recordNumber(member, of: "agent")
        }
        return try created(try await call("POST", "/Actions", body: [action]), "time action")
    }

    func setStatus(_ ticket: String, _ status: String) async throws(PSAError) {
        let update: [String: Any] = [
            "id": try Self.recordNumber(ticket, of: "ticket"), "status_id": try Self.recordNumber(status, of: "status"),
        ]
        _ = try await call("POST", "/Tickets", body: [update])
    }

    func deactivateContact(_ email: String, company: String) async throws(PSAError) -> String? {
        let address = email.trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty else { throw PSAError(.invalid, "no e-mail address to look a Halo user up by") }
        let client = try Self.recordNumber(company, of: "client")
        // Inactive users are included so that running the step again finds the user it already deactivated.
        let reply = try await call(
            "GET", "/Users", query: [("search", address), ("client_id", "\(client)"), ("includeinactive", "true")])
        let records: [[String: Any]]
        if let body = reply.json as? [String: Any], let users = body["users"] as? [[String: Any]] {
            records = users
        } else if let users = reply.json as? [[String: Any]] {
            records = users
        } else {
            throw Self.unreadable("the user search")
        }
        // search matches names and logins too; only the e-mail address decides, and only the client's own users
        // (the filter is checked here too: Halo ignores a parameter it does not know).
        let matches = records.filter {
            ($0["emailaddress"] as? String)?.trimmingCharacters(in: .whitespaces).lowercased() == address.lowercased()
                && Self.identifier($0["client_id"]) == String(client)
        }
        guard let user = matches.first, let id = Self.identifier(user["id"]) else { return nil }
        guard matches.count == 1 else {
            let ids = matches.compactMap { Self.identifier($0["id"]) }.joined(separator: ", ")
            throw PSAError(
                .invalid, "\(matches.count) Halo users have the address \(address) (ids \(ids)); deactivate the right one by hand")
        }
        if Self.flag(user["inactive"]) { return id }
        let update: [String: Any] = ["id": try Self.recordNumber(id, of: "user"), "inactive": true]
        _ = try await call("POST", "/Users", body: [update])
        return id
    }

    func attach(_ ticket: String, fileName: String, data: Data) async throws(PSAError) -> String {
        let upload: [String: Any] = [
            "ticket_id": try Self.recordNumber(ticket, of: "ticket"), "filename": fileName,
            "data_base64": "data:\(Self.mediaType(of: fileName));base64,\(data.base64EncodedString())",
        ]
        return try created(try await call("POST", "/Attachment", body: [upload]), "attachment")
    }

    // MARK: - Requests

    /// One API call with the cached token; a 401 drops the token and tries once more with a fresh one,
    /// because a token can end before its `expires_in` (django-psa notes that a newer token for the same
    /// application may invalidate older ones).
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Any? = nil
    ) async throws(PSAError) -> PSAHTTP.Reply {
        let url = apiBase + path + Self.queryString(query)
        let token = try await accessToken()
        do throws(PSAError) {
            return try await send(method, url, token: token, body: body)
        } catch {
            guard error.kind == .unauthorized else { throw error }
            tokens.drop(token)
            return try await send(method, url, token: try await accessToken(), body: body)
        }
    }

    private func send(_ method: String, _ url: String, token: String, body: Any?) async throws(PSAError) -> PSAHTTP.Reply {
        try await http.json(
            method, url, headers: [("Authorization", "Bearer \(token)")], body: body,
            readMessage: { HaloAPI.message(in: $0) })
    }

    func accessToken() async throws(PSAError) -> String {
        if let token = tokens.usable(at: now()) { return token }
        let form = [("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), ("scope", "all")]
            .map { "\($0.0)=\(PSAHTTP.formEncode($0.1))" }.joined(separator: "&")
        let reply = try await http.send(
            "POST", tokenURL,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Data(form.utf8))
        if !(200..<300).contains(reply.status) {
            let code = (reply.json as? [String: Any])?["error"] as? String
            // An OAuth server answers bad client credentials with 400 or 401 and an error code, not only 401.
            if [400, 401].contains(reply.status), let code, ["invalid_client", "unauthorized_client", "invalid_grant"].contains(code) {
                throw PSAError(.unauthorized, status: reply.status, "Halo refused the client id or secret (\(code))")
            }
            try PSAHTTP.check(reply, readMessage: { HaloAPI.message(in: $0) })
        }
        guard let body = reply.json as? [String: Any], let value = body["access_token"] as? String, !value.isEmpty else {
            throw Self.unreadable("the token answer")
        }
        let lifetime = Self.number(body["expires_in"]) ?? 3600
        tokens.store(.init(value: value, renewAt: now().addingTimeInterval(lifetime - min(60, lifetime / 10))))
        return value
    }

    /// The id Halo gave a record it created: a POST of one record answers with that record (or, on some
    /// versions, an array of one).
    private func created(_ reply: PSAHTTP.Reply, _ what: String) throws(PSAError) -> String {
        let record = (reply.json as? [String: Any]) ?? (reply.json as? [[String: Any]])?.first
        guard let id = record.flatMap({ Self.identifier($0["id"]) }) else { throw Self.unreadable("the new \(what)") }
        return id
    }

    // MARK: - Reading Halo's JSON

    static func ticket(from record: [String: Any]) throws(PSAError) -> PSATicket {
        guard let id = identifier(record["id"]) else { throw unreadable("a ticket without an id") }
        let html = (record["details_html"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? (record["details"] as? String) ?? ""
        // Halo names the contact's address differently between answers (django-psa reads `useremail`).
        let email = ["user_email", "useremail", "emailaddress", "user_emailaddress"].lazy.compactMap { record[$0] as? String }
            .first { !$0.isEmpty }
        return PSATicket(
            id: id, summary: (record["summary"] as? String) ?? "", details: psaPlainText(fromHTML: html),
            company: identifier(record["client_id"]), board: identifier(record["tickettype_id"]),
            status: identifier(record["status_id"]), contactEmail: email, fields: customFields(record["customfields"]),
            createdAt: date(record["dateoccurred"] as? String))
    }

    /// Halo's `customfields`: `[{id, name, label, value, display}]`; `display` is the text a list value shows.
    static func customFields(_ value: Any?) -> [String: String] {
        var fields: [String: String] = [:]
        for field in (value as? [[String: Any]]) ?? [] {
            guard let label = (field["label"] as? String) ?? (field["name"] as? String), !label.isEmpty else { continue }
            let text = [field["display"], field["value"]].lazy.compactMap(Self.text).first { !$0.isEmpty }
            if let text { fields[label] = text }
        }
        return fields
    }

    /// Halo writes UTC dates without a zone, sometimes with fractions of a second: `2026-12-01T09:30:00.47`.
    static func date(_ text: String?) -> Date? {
        guard var text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        text = text.replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)
        if text.range(of: #"(Z|[+-]\d{2}:?\d{2})$"#, options: .regularExpression) == nil { text += "Z" }
        return ISO8601DateFormatter().date(from: text)
    }

    /// Halo's own words from an error body: `{"ClassName": "System.Exception", "Message": …}` from the API,
    /// `{"error": …}` from the token endpoint, or a bare JSON string.
    static func message(in reply: PSAHTTP.Reply) -> String? {
        if let text = reply.json as? String, !text.isEmpty { return text }
        guard let body = reply.json as? [String: Any] else { return nil }
        for key in ["Message", "message", "error_description", "error"] {
            if let text = body[key] as? String, !text.isEmpty { return text }
        }
        return nil
    }

    static func identifier(_ value: Any?) -> String? {
        if let text = value as? String { return text.isEmpty ? nil : text }
        // Halo uses 0 and -1 for "none" (no client, the general user).
        guard let number = number(value), number > 0, number == number.rounded() else { return nil }
        return String(Int(number))
    }

    static func number(_ value: Any?) -> Double? {
        if let number = value as? Int { return Double(number) }
        if let number = value as? Double { return number }
        if let number = value as? NSNumber { return number.doubleValue }
        if let text = value as? String { return Double(text) }
        return nil
    }

    static func text(_ value: Any?) -> String? {
        if let text = value as? String { return text }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }

    static func flag(_ value: Any?) -> Bool {
        if let flag = value as? Bool { return flag }
        return (value as? NSNumber)?.boolValue ?? false
    }

    // MARK: - Writing

    /// Halo ids are positive integers; refusing anything else keeps odd input out of URLs and bodies.
    static func recordNumber(_ id: String, of what: String) throws(PSAError) -> Int {
        guard let number = Int(id.trimmingCharacters(in: .whitespaces)), number > 0 else {
            throw PSAError(.invalid, "a Halo \(what) id is a positive number, not \"\(id)\"")
        }
        return number
    }

    static func queryString(_ items: [(String, String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\($0.0)=\(PSAHTTP.queryEncode($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func paragraphs(_ text: String) -> String {
        "<p>" + escape(text).replacingOccurrences(of: "\n", with: "<br>") + "</p>"
    }

    static func mediaType(of fileName: String) -> String {
        let suffix = fileName.contains(".") ? fileName.split(separator: ".").last.map(String.init) ?? "" : ""
        return switch suffix.lowercased() {
        case "zip": "application/zip"
        case "json": "application/json"
        case "pdf": "application/pdf"
        case "txt", "log": "text/plain"
        case "csv": "text/csv"
        case "html", "htm": "text/html"
        default: "application/octet-stream"
        }
    }

    static func unreadable(_ what: String) -> PSAError { PSAError(.unexpected, "could not read \(what) from Halo") }
}
