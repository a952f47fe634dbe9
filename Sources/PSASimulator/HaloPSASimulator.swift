public import Foundation
import Synchronization

/// HaloPSA's REST API for the subset Turnover uses, strict as the real one: an OAuth2 client-credentials
/// token endpoint and Bearer-guarded `/api` resources that take JSON arrays of records on POST.
///
/// `credentials`, by Halo's own names:
/// - `client_id`, `client_secret`: an API application using "Client ID and Secret (Services)";
/// - `tenant`: the hosted-instance tenant, sent as `?tenant=` to `/auth/token`.
///
/// What it answers, and where each shape comes from:
/// - `POST /auth/token` (form: `grant_type=client_credentials`, `client_id`, `client_secret`, `scope=all`) →
///   `{access_token, token_type, expires_in}`; bad credentials or tenant → 400 `{"error":"invalid_client"}`
///   (KelvinTegelaar/CIPP-API: Modules/CippExtensions/Public/Halo/Get-HaloToken.ps1;
///   homotechsual/HaloAPI: Public/Connect-HaloAPI.ps1; topleft-team/django-psa: djpsa/halo/api.py).
/// - any `/api` call without a live token → 401, empty body (djpsa/halo/api.py retries on exactly that).
/// - `GET /api/Agent/me` (homotechsual/HaloAPI: Public/Get/Get-HaloAgent.ps1).
/// - `GET /api/Tickets?client_id&requesttype_id&status_id|status&open_only&pageinate&page_size&page_no&order&orderdesc`
///   → `{record_count, tickets}`; `GET /api/Tickets/{id}?includedetails=true` adds `details_html` and
///   `customfields` (redanthrax/halopsa-node: nodes/HaloPSA/actions/tickets/getAll/execute.ts and
///   actions/interfaces/tickets.ts; homotechsual/HaloAPI: Public/Get/Get-HaloTicket.ps1, Private/New-HaloGETRequest.ps1).
///   Pages hold at most 25 records whatever `page_size` asks, so clients must page.
/// - `POST /api/Tickets [{id, status_id}]`: Halo updates by POSTing a record with its id
///   (homotechsual/HaloAPI: Private/New-HaloPOSTRequest.ps1).
/// - `POST /api/Actions [{ticket_id, outcome_id|outcome, note_html, hiddenfromuser, timetaken, who_agentid,
///   actionarrivaldate, actioncompletiondate}]`; no ticket → bare 400; no or unknown outcome → 400
///   `{"ClassName":"System.Exception","Message":"An Outcome must be entered for this Action"}`
///   (homotechsual/HaloAPI: Tests action suite and Private/New-HaloErrorRecord.ps1; CIPP-API New-HaloPSATicket.ps1,
///   whose fallback outcome 7 is seeded as "Private Note"). `timetaken` is hours (martroben/halo:
///   recalculate_billing/HaloRecalculateBilling.ps1; Halo report SQL sums `actions.timetaken` as hours).
/// - `GET /api/Users?search&includeinactive` → `{record_count, users}`; `POST /api/Users [{id, inactive}]`
///   (CIPP-API Get-HaloUser.ps1; halopsa-node users/update/description.ts).
/// - `POST /api/Attachment [{ticket_id, filename, data_base64}]`, `data_base64` raw or as a `data:` URI
///   (topleft-team/django-psa: djpsa/halo/records/attachment/api.py; halopsa-node attachments/create/execute.ts).
/// - `GET /api/Status`, `/api/TicketType`, `/api/Outcome` lookups, for mapping ids by hand.
///
/// Dates are UTC without a zone (`2026-12-01T09:30:00`), as Halo writes them. Messages for refusals Halo's
/// public material does not show (an unknown status, a malformed attachment) are this simulator's own
/// wording in Halo's `ClassName`/`Message` shape. Notes are actions without time; time entries are actions with
/// `timetaken` above zero.
public final class HaloPSASimulator: PSASimulation {
    public let credentials: [String: String]
    public let directory: PSADirectory
    /// The agent the API application logs in as (`/api/Agent/me`), usable as a time entry's member.
    public let agentId = "5"

    struct User {
        var id: Int
        var firstName: String
        var surname: String
        var email: String
        var inactive = false
        var name: String { "\(firstName) \(surname)" }
    }

    struct Ticket {
        var id: Int
        var summary: String
        var details: String
        var userId: Int?
        var statusId: Int
        var occurred: Date
        var customFields: [(label: String, value: String)] = []
    }

    struct Action {
        var id: Int
        var ticketId: Int
        var outcomeId: Int
        var noteHTML: String
        var hidden: Bool
        var hours: Double
        var agentId: Int?
        var created: Date
        var arrival: String?
        var completion: String?
    }

    struct Attachment {
        var id: Int
        var ticketId: Int
        var fileName: String
        var data: Data
    }

    struct State {
        var tickets: [Int: Ticket] = [:]
        var users: [User] = []
        var actions: [Action] = []
        var attachments: [Attachment] = []
        var tokens: [String: Date] = [:]
        var nextTicket = 2201
        var nextAction = 1
        var nextAttachment = 1
        var writes = 0
        var tokenIssues = 0
    }

    let state: Mutex<State>
    let seed: PSASeed
    let now: @Sendable () -> Date
    let clientId = 12
    let siteId = 18
    let ticketTypeId = 31
    let statuses: [(id: Int, name: String)]
    let closedStatus: Int
    static let outcomes: [(id: Int, name: String)] = [(1, "Email User"), (7, "Private Note"), (20, "Change Status")]
    static let scopes: Set<String> = ["all", "read:tickets", "edit:tickets", "read:customers", "edit:customers"]
    /// The most records one page holds, whatever a client asks for.
    static let largestPage = 25
    static let tokenLifetime: TimeInterval = 3600

    public init(seed: PSASeed = .contoso, now: @escaping @Sendable () -> Date = { Date() }) {
        self.seed = seed
        self.now = now
        // Halo's built-in Closed status is 9; the others count up from 1.
        var ids: [Int] = []
        var next = 1
        for index in seed.statuses.indices {
            if index == seed.statuses.count - 1 {
                ids.append(9)
            } else {
                if next == 9 { next += 1 }
                ids.append(next)
                next += 1
            }
        }
        statuses = Array(zip(ids, seed.statuses)).map { (id: $0.0, name: $0.1) }
        closedStatus = ids.last ?? 9
        var initial = State()
        for (offset, contact) in seed.contacts.enumerated() {
            initial.users.append(User(id: 101 + offset, firstName: contact.firstName, surname: contact.lastName, email: contact.email))
        }
        state = Mutex(initial)
        credentials = [
            "client_id": UUID().uuidString.lowercased(),
            "client_secret": UUID().uuidString.lowercased() + "-" + UUID().uuidString.lowercased(),
            "tenant": "turnover-sandbox",
        ]
        directory = PSADirectory(
            companyId: String(clientId), boardId: String(ticketTypeId),
            statuses: Dictionary(statuses.map { ($0.name, String($0.id)) }, uniquingKeysWith: { first, _ in first }),
            contacts: Dictionary(initial.users.map { ($0.email, String($0.id)) }, uniquingKeysWith: { first, _ in first }))
    }

    // MARK: - PSASimulation

    /// Halo's API and token endpoint sit under the instance itself, so the base URL is the whole address.
    public func connectionFields(baseURL: String) -> PSASimConnection {
        PSASimConnection(
            url: baseURL, clientId: credentials["client_id"] ?? "", account: credentials["tenant"], username: nil,
            secret: credentials["client_secret"] ?? "")
    }

    @discardableResult
    public func openTicket(summary: String, details: String, contactEmail: String) -> String {
        let occurred = now()
        return state.withLock { state in
            let id = state.nextTicket
            state.nextTicket += 1
            let user = state.users.first { $0.email.lowercased() == contactEmail.lowercased() }
            state.tickets[id] = Ticket(
                id: id, summary: summary, details: details, userId: user?.id, statusId: statuses.first?.id ?? 1,
                occurred: occurred)
            return String(id)
        }
    }

    public func notes(onTicket id: String) -> [PSASimNote] {
        state.withLock { state in
            state.actions.filter { String($0.ticketId) == id && $0.hours == 0 }
                .map { PSASimNote(text: $0.noteHTML, isInternal: $0.hidden, title: nil) }
        }
    }

    public func timeEntries(onTicket id: String) -> [PSASimTimeEntry] {
        state.withLock { state in
            state.actions.filter { String($0.ticketId) == id && $0.hours > 0 }.map {
                PSASimTimeEntry(minutes: $0.hours * 60, member: $0.agentId.map(String.init), notes: Self.text(ofHTML: $0.noteHTML))
            }
        }
    }

    public func status(ofTicket id: String) -> String? {
        state.withLock { state in Int(id).flatMap { state.tickets[$0] }.map { String($0.statusId) } }
    }

    public func contactIsActive(email: String) -> Bool? {
        state.withLock { state in state.users.first { $0.email.lowercased() == email.lowercased() }.map { !$0.inactive } }
    }

    public func attachments(onTicket id: String) -> [PSASimAttachment] {
        state.withLock { state in
            state.attachments.filter { String($0.ticketId) == id }.map { PSASimAttachment(fileName: $0.fileName, data: $0.data) }
        }
    }

    public var writeCount: Int { state.withLock { $0.writes } }

    public var technician: (member: String, role: String?) { (agentId, nil) }

    private let revoked = Mutex(false)

    public func revokeCredentials() {
        revoked.withLock { $0 = true }
        revokeTokens()
    }

    /// Tokens issued so far, to judge a client's token cache.
    public var tokenRequests: Int { state.withLock { $0.tokenIssues } }

    /// Ends every issued token, as their expiry would.
    public func revokeTokens() { state.withLock { $0.tokens.removeAll() } }

    /// Sets a custom field on a ticket, as an agent would in Halo's ticket screen.
    public func setCustomField(onTicket id: String, label: String, value: String) {
        state.withLock { state in
            guard let number = Int(id), var ticket = state.tickets[number] else { return }
            ticket.customFields.removeAll { $0.label == label }
            ticket.customFields.append((label, value))
            state.tickets[number] = ticket
        }
    }

    // MARK: - Routing

    public func handle(_ request: PSARequest) async -> PSAResponse {
        let path = request.segments.map { $0.lowercased() }
        if path == ["auth", "token"] { return request.method == "POST" ? issueToken(request) : Self.notFound }
        guard path.count >= 2, path[0] == "api" else { return Self.notFound }
        guard isSignedIn(request), !revoked.withLock({ $0 }) else {
            return PSAResponse(status: 401, headers: [("WWW-Authenticate", "Bearer")])
        }
        // ASP.NET binds query names regardless of case.
        let query = Dictionary(request.query.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        let rest = Array(path.dropFirst(2))
        switch (request.method, path[1], rest.count) {
        case ("GET", "agent", 1) where rest[0] == "me":
            return .json(
                200, ["id": Int(agentId) ?? 5, "name": "Turnover Integration", "email": "turnover@msp.example", "isdisabled": false])
        case ("GET", "tickets", 0): return listTickets(query)
        case ("GET", "tickets", 1): return ticket(rest[0], query)
        case ("POST", "tickets", 0): return updateTickets(request)
        case ("GET", "actions", 0): return listActions(query)
        case ("POST", "actions", 0): return addActions(request)
        case ("GET", "users", 0): return listUsers(query)
        case ("POST", "users", 0): return updateUsers(request)
        case ("GET", "attachment", 0): return listAttachments(query)
        case ("POST", "attachment", 0): return addAttachments(request)
        case ("GET", "status", 0): return .json(200, statuses.map { ["id": $0.id, "name": $0.name] })
        case ("GET", "tickettype", 0): return .json(200, [["id": ticketTypeId, "name": seed.boardName]])
        case ("GET", "outcome", 0): return .json(200, Self.outcomes.map { ["id": $0.id, "outcome": $0.name, "buttonname": $0.name] })
        default: return Self.notFound
        }
    }

    // MARK: - Token endpoint

    func issueToken(_ request: PSARequest) -> PSAResponse {
        guard request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return .json(400, ["error": "invalid_request"])
        }
        let form = Self.form(request.body)
        guard form["grant_type"] == "client_credentials" else { return .json(400, ["error": "unsupported_grant_type"]) }
        guard !revoked.withLock({ $0 }), form["client_id"] == credentials["client_id"],
            form["client_secret"] == credentials["client_secret"],
            request.query["tenant"] == credentials["tenant"]
        else { return .json(400, ["error": "invalid_client"]) }
        let scope = form["scope"] ?? "all"
        guard scope.split(separator: " ").allSatisfy({ Self.scopes.contains(String($0)) }) else {
            return .json(400, ["error": "invalid_scope"])
        }
        let token = UUID().uuidString.lowercased() + UUID().uuidString.lowercased()
        let expiry = now().addingTimeInterval(Self.tokenLifetime)
        state.withLock { state in
            state.tokens[token] = expiry
            state.tokenIssues += 1
        }
        return .json(200, ["access_token": token, "token_type": "Bearer", "expires_in": Int(Self.tokenLifetime), "scope": scope])
    }

    func isSignedIn(_ request: PSARequest) -> Bool {
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("bearer ") else { return false }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let moment = now()
        return state.withLock { state in state.tokens[token].map { $0 > moment } ?? false }
    }

    // MARK: - Tickets

    func listTickets(_ query: [String: String]) -> PSAResponse {
        let wanted: Set<Int>? = query["status"].map {
            Set($0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        }
        let records: [[String: Any]] = state.withLock { state in
            var tickets = Array(state.tickets.values)
            if let client = query["client_id"].flatMap(Int.init), client != clientId { tickets = [] }
            if let type = query["requesttype_id"].flatMap(Int.init), type != ticketTypeId { tickets = [] }
            if let types = query["requesttype"] {
                if !types.split(separator: ",").compactMap({ Int($0) }).contains(ticketTypeId) { tickets = [] }
            }
            if let status = query["status_id"].flatMap(Int.init) { tickets.removeAll { $0.statusId != status } }
            if let wanted { tickets.removeAll { !wanted.contains($0.statusId) } }
            if query["open_only"]?.lowercased() == "true" { tickets.removeAll { $0.statusId == closedStatus } }
            if query["closed_only"]?.lowercased() == "true" { tickets.removeAll { $0.statusId != closedStatus } }
            if let user = query["user_id"].flatMap(Int.init) { tickets.removeAll { $0.userId != user } }
            switch query["order"]?.lowercased() {
            case "dateoccurred": tickets.sort { ($0.occurred, $0.id) < ($1.occurred, $1.id) }
            default: tickets.sort { $0.id < $1.id }
            }
            if query["orderdesc"]?.lowercased() == "true" { tickets.reverse() }
            return tickets.map { render($0, state: state, details: query["includedetails"]?.lowercased() == "true") }
        }
        return page(records, key: "tickets", query)
    }

    func ticket(_ id: String, _ query: [String: String]) -> PSAResponse {
        let record: [String: Any]? = state.withLock { state in
            Int(id).flatMap { state.tickets[$0] }.map { render($0, state: state, details: query["includedetails"]?.lowercased() == "true") }
        }
        guard let record else { return Self.notFound }
        return .json(200, record)
    }

    func updateTickets(_ request: PSARequest) -> PSAResponse {
        guard let records = request.json as? [[String: Any]], !records.isEmpty else { return Self.notAnArray }
        let answer: PSAResponse? = state.withLock { state in
            // Check every record before changing any, so a refused batch leaves nothing half-done.
            for record in records {
                guard let id = Self.integer(record["id"]) else {
                    return Self.haloError("Creating tickets is outside this simulation; send the id of the ticket to update")
                }
                guard state.tickets[id] != nil else { return Self.notFound }
                if let status = record["status_id"], !statuses.contains(where: { $0.id == Self.integer(status) }) {
                    return Self.haloError("Invalid status_id \(status)")
                }
            }
            for record in records {
                guard let id = Self.integer(record["id"]), var ticket = state.tickets[id] else { continue }
                if let status = Self.integer(record["status_id"]) { ticket.statusId = status }
                if let summary = record["summary"] as? String { ticket.summary = summary }
                state.tickets[id] = ticket
            }
            state.writes += 1
            return nil
        }
        if let answer { return answer }
        let ids = records.compactMap { Self.integer($0["id"]) }
        let rendered: [[String: Any]] = state.withLock { state in
            ids.compactMap { state.tickets[$0] }.map { render($0, state: state, details: false) }
        }
        return Self.created(rendered)
    }

    func render(_ ticket: Ticket, state: State, details: Bool) -> [String: Any] {
        let user = ticket.userId.flatMap { id in state.users.first { $0.id == id } }
        var record: [String: Any] = [
            "id": ticket.id, "summary": ticket.summary, "details": ticket.details, "dateoccurred": Self.haloDate(ticket.occurred),
            "client_id": clientId, "client_name": seed.companyName, "site_id": siteId, "site_name": "Head Office",
            "tickettype_id": ticketTypeId, "status_id": ticket.statusId, "user_id": user?.id ?? -1,
            "user_name": user?.name ?? "General User", "hasbeenclosed": ticket.statusId == closedStatus,
        ]
        if let user { record["user_email"] = user.email }
        if details {
            record["details_html"] = Self.html(ofText: ticket.details)
            record["status_name"] = statuses.first { $0.id == ticket.statusId }?.name ?? ""
            record["tickettype_name"] = seed.boardName
            record["customfields"] = ticket.customFields.enumerated().map { offset, field in
                [
                    "id": 140 + offset, "name": "CF" + field.label.filter(\.isLetter), "label": field.label, "value": field.value,
                    "display": field.value,
                ]
            }
        }
        return record
    }

    // MARK: - Actions

    func addActions(_ request: PSARequest) -> PSAResponse {
        guard let records = request.json as? [[String: Any]], !records.isEmpty else { return Self.notAnArray }
        let created = now()
        let answer: Result<[[String: Any]], Refusal> = state.withLock { state in
            var accepted: [Action] = []
            for record in records {
                // Halo answers an action without a ticket with a bare 400.
                guard let ticketId = Self.integer(record["ticket_id"]) else { return .failure(Refusal(PSAResponse(status: 400))) }
                guard state.tickets[ticketId] != nil else { return .failure(Refusal(Self.notFound)) }
                let outcome =
                    Self.integer(record["outcome_id"]).flatMap { id in Self.outcomes.first { $0.id == id } }
                    ?? (record["outcome"] as? String).flatMap { name in Self.outcomes.first { $0.name.lowercased() == name.lowercased() } }
                guard let outcome else {
                    return .failure(Refusal(Self.haloError("An Outcome must be entered for this Action")))
                }
                var hours = 0.0
                if let taken = record["timetaken"] {
                    guard let value = Self.decimal(taken), value >= 0 else {
                        return .failure(Refusal(Self.haloError("timetaken must be a number of hours")))
                    }
                    hours = value
                }
                var agent: Int?
                if let who = record["who_agentid"] {
                    guard let id = Self.integer(who) else { return .failure(Refusal(Self.haloError("Invalid who_agentid \(who)"))) }
                    agent = id
                }
                let note = (record["note_html"] as? String) ?? (record["note"] as? String).map(Self.html(ofText:)) ?? ""
                accepted.append(
                    Action(
                        id: state.nextAction + accepted.count, ticketId: ticketId, outcomeId: outcome.id, noteHTML: note,
                        hidden: Self.flag(record["hiddenfromuser"]), hours: hours,
                        agentId: agent, created: created,
                        arrival: record["actionarrivaldate"] as? String, completion: record["actioncompletiondate"] as? String))
            }
            state.nextAction += accepted.count
            state.actions += accepted
            state.writes += 1
            return .success(accepted.map(Self.render))
        }
        switch answer {
        case .success(let rendered): return Self.created(rendered)
        case .failure(let refusal): return refusal.response
        }
    }

    func listActions(_ query: [String: String]) -> PSAResponse {
        guard let ticketId = query["ticket_id"].flatMap(Int.init) else { return PSAResponse(status: 400) }
        let records = state.withLock { state in state.actions.filter { $0.ticketId == ticketId }.map(Self.render) }
        return .json(200, ["record_count": records.count, "actions": records])
    }

    static func render(_ action: Action) -> [String: Any] {
        var record: [String: Any] = [
            "id": action.id, "ticket_id": action.ticketId, "outcome_id": action.outcomeId,
            "outcome": outcomes.first { $0.id == action.outcomeId }?.name ?? "", "note_html": action.noteHTML,
            "note": text(ofHTML: action.noteHTML), "hiddenfromuser": action.hidden, "timetaken": action.hours,
            "datetime": haloDate(action.created), "actiondatecreated": haloDate(action.created),
        ]
        if let agent = action.agentId { record["who_agentid"] = agent }
        if let arrival = action.arrival { record["actionarrivaldate"] = arrival }
        if let completion = action.completion { record["actioncompletiondate"] = completion }
        return record
    }

    // MARK: - Users

    func listUsers(_ query: [String: String]) -> PSAResponse {
        let term = query["search"]?.lowercased() ?? ""
        let withInactive = query["includeinactive"]?.lowercased() == "true"
        let records: [[String: Any]] = state.withLock { state in
            state.users.filter { user in
                (withInactive || !user.inactive)
                    && (term.isEmpty || user.name.lowercased().contains(term) || user.email.lowercased().contains(term))
                    && (query["client_id"].flatMap(Int.init).map { $0 == clientId } ?? true)
            }.map(render)
        }
        return page(records, key: "users", query)
    }

    func updateUsers(_ request: PSARequest) -> PSAResponse {
        guard let records = request.json as? [[String: Any]], !records.isEmpty else { return Self.notAnArray }
        let answer: Result<[[String: Any]], Refusal> = state.withLock { state in
            for record in records {
                guard let id = Self.integer(record["id"]) else {
                    return .failure(Refusal(Self.haloError("Creating users is outside this simulation; send the id of the user to update")))
                }
                guard state.users.contains(where: { $0.id == id }) else { return .failure(Refusal(Self.notFound)) }
                if let inactive = record["inactive"], !Self.isBoolean(inactive) {
                    return .failure(Refusal(Self.haloError("inactive must be true or false")))
                }
            }
            var rendered: [[String: Any]] = []
            for record in records {
                guard let id = Self.integer(record["id"]), let index = state.users.firstIndex(where: { $0.id == id }) else { continue }
                if record["inactive"] != nil { state.users[index].inactive = Self.flag(record["inactive"]) }
                rendered.append(render(state.users[index]))
            }
            state.writes += 1
            return .success(rendered)
        }
        switch answer {
        case .success(let rendered): return Self.created(rendered)
        case .failure(let refusal): return refusal.response
        }
    }

    func render(_ user: User) -> [String: Any] {
        [
            "id": user.id, "name": user.name, "firstname": user.firstName, "surname": user.surname,
            "emailaddress": user.email, "client_id": clientId, "client_name": seed.companyName, "site_id": siteId,
            "site_name": "Head Office", "inactive": user.inactive,
        ]
    }

    // MARK: - Attachments

    func addAttachments(_ request: PSARequest) -> PSAResponse {
        guard let records = request.json as? [[String: Any]], !records.isEmpty else { return Self.notAnArray }
        let created = now()
        let answer: Result<[[String: Any]], Refusal> = state.withLock { state in
            var accepted: [Attachment] = []
            for record in records {
                guard let fileName = record["filename"] as? String, !fileName.isEmpty else {
                    return .failure(Refusal(Self.haloError("A filename must be entered for this Attachment")))
                }
                guard let encoded = record["data_base64"] as? String, let data = Self.decodeBase64(encoded) else {
                    return .failure(Refusal(Self.haloError("data_base64 must hold the file as base64")))
                }
                let ticketId = Self.integer(record["ticket_id"]) ?? 0
                guard ticketId == 0 || state.tickets[ticketId] != nil else { return .failure(Refusal(Self.notFound)) }
                accepted.append(Attachment(id: state.nextAttachment + accepted.count, ticketId: ticketId, fileName: fileName, data: data))
            }
            state.nextAttachment += accepted.count
            state.attachments += accepted
            state.writes += 1
            return .success(accepted.map { Self.render($0, created: created) })
        }
        switch answer {
        case .success(let rendered): return Self.created(rendered)
        case .failure(let refusal): return refusal.response
        }
    }

    func listAttachments(_ query: [String: String]) -> PSAResponse {
        let ticketId = query["ticket_id"].flatMap(Int.init)
        let moment = now()
        let records = state.withLock { state in
            state.attachments.filter { ticketId == nil || $0.ticketId == ticketId }.map { Self.render($0, created: moment) }
        }
        return .json(200, ["record_count": records.count, "attachments": records])
    }

    static func render(_ attachment: Attachment, created: Date) -> [String: Any] {
        [
            "id": attachment.id, "ticket_id": attachment.ticketId, "filename": attachment.fileName,
            "filesize": attachment.data.count, "datecreated": haloDate(created), "isimage": false,
        ]
    }

    // MARK: - Shared shapes

    /// A refused request, carried out of a `withLock` body.
    struct Refusal: Error {
        var response: PSAResponse
        init(_ response: PSAResponse) { self.response = response }
    }

    static let notFound = PSAResponse(status: 404)
    static let notAnArray = haloError("The request body must be a JSON array of records")

    /// Halo's error body: a serialized .NET exception.
    static func haloError(_ message: String, status: Int = 400) -> PSAResponse {
        .json(status, ["ClassName": "System.Exception", "Message": message])
    }

    /// One record back for one record sent, an array for several.
    static func created(_ records: [[String: Any]]) -> PSAResponse {
        records.count == 1 ? .json(201, records[0]) : .json(201, records)
    }

    func page(_ records: [[String: Any]], key: String, _ query: [String: String]) -> PSAResponse {
        guard query["pageinate"]?.lowercased() == "true" else { return .json(200, ["record_count": records.count, key: records]) }
        let size = min(max(query["page_size"].flatMap(Int.init) ?? 50, 1), Self.largestPage)
        let number = max(query["page_no"].flatMap(Int.init) ?? 1, 1)
        let start = min((number - 1) * size, records.count)
        let slice = Array(records[start..<min(start + size, records.count)])
        return .json(200, ["page_no": number, "page_size": size, "record_count": records.count, key: slice])
    }

    static func haloDate(_ date: Date) -> String {
        var text = ISO8601DateFormatter().string(from: date)
        if text.hasSuffix("Z") { text.removeLast() }
        return text
    }

    /// A JSON `true`/`false`. Foundation's `is Bool` also says yes to the numbers 0 and 1, which would
    /// refuse ticket 1 or one hour of time; the boolean NSNumber subclass tells them apart.
    static func isBoolean(_ value: Any?) -> Bool {
        (value as? NSNumber).map { ObjectIdentifier(type(of: $0)) == booleanClass } ?? false
    }

    static let booleanClass = ObjectIdentifier(type(of: NSNumber(value: true)))

    /// True only for a JSON `true`.
    static func flag(_ value: Any?) -> Bool { isBoolean(value) && (value as? Bool) == true }

    static func integer(_ value: Any?) -> Int? {
        if isBoolean(value) { return nil }
        if let number = value as? Int { return number }
        if let number = value as? Double, number == number.rounded() { return Int(number) }
        if let text = value as? String { return Int(text) }
        return nil
    }

    static func decimal(_ value: Any?) -> Double? {
        if isBoolean(value) { return nil }
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        if let text = value as? String { return Double(text) }
        return nil
    }

    static func decodeBase64(_ text: String) -> Data? {
        var payload = Substring(text)
        // Halo takes `data:<type>;base64,<payload>` as well as the bare payload.
        if payload.hasPrefix("data:"), let comma = payload.firstIndex(of: ",") {
            guard payload[..<comma].hasSuffix(";base64") else { return nil }
            payload = payload[payload.index(after: comma)...]
        }
        return Data(base64Encoded: String(payload))
    }

    static func form(_ body: Data) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static func html(ofText text: String) -> String {
        let escaped = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return "<p>" + escaped.replacingOccurrences(of: "\n", with: "<br>") + "</p>"
    }

    static func text(ofHTML html: String) -> String {
        html.replacingOccurrences(of: "<br>", with: "\n").replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
