public import Foundation
import Synchronization

/// Autotask (Datto) PSA REST API v1.0 for the calls Turnover makes, served under `/ATServicesRest/V1.0`.
///
/// Served (entity names and the prefix match case-insensitively, as Autotask's do):
/// `GET Tickets/entityInformation`, `GET Tickets/{id}`, `POST Tickets/query` (+ `query/next`, `query/previous`),
/// `PATCH Tickets`, `POST Tickets/{id}/Notes`, `POST Tickets/{id}/Attachments`, `POST TimeEntries`,
/// `GET Contacts/{id}`, `POST Contacts/query` (+ paging), `PATCH Companies/{id}/Contacts`.
///
/// Behaviour and the sources it follows:
/// - Headers `ApiIntegrationCode`, `UserName`, `Secret`: Autotask "Making basic query calls" and
///   `KelvinTegelaar/AutotaskAPI: Public/Add-AutotaskAPIAuth.ps1`. A known user with a wrong secret gets 401 with
///   an empty body; an unknown user name or integration code gets HTTP 500, as the apigrate maintainer reports
///   (`apigrate/autotask-restapi` issue #19). Missing headers are treated as a 401. The 500's message text is ours.
/// - Child entities are written through the parent: `POST Tickets/{parentId}/Notes`, `POST Tickets/{parentId}/Attachments`,
///   `PATCH Companies/{parentId}/Contacts`; `Contacts` itself only has `query` and `{id}`
///   (`aenichols/ATREST-CSharp-Client: docs/TicketNotesChildApi.md, docs/CompanyContactsChildApi.md, docs/ContactsApi.md`,
///   Autotask "TicketNotes" and "Contacts" entity pages). Creates and updates answer `{"itemId": N}`
///   (`docs/OperationResultModel.md`).
/// - Queries: `{"filter":[…]}` with `and`/`or` groups, `eq`, `noteq`, `in`, `notIn`, `exist`, `notExist`; field names are
///   case-insensitive; an unknown field is refused with 500 "Unable to find … in the … Entity."; answers
///   `{"items":[…],"pageDetails":{count,requestCount,prevPageUrl,nextPageUrl}}` (`apigrate/autotask-restapi: README.md`).
///   Pages are cursors: `…/query/next?paging={"pageSize":…,"previousIds":[…],"nextIds":[…]}`, which must be POSTed with
///   the filter body again (a GET is 405, no body is 500 "Parameter name: filters"); this simulator pages at 25, and
///   its cursor URLs are path-absolute unless a `Host` header reaches it (Autotask's are absolute).
///   (Real `nextPageUrl` shape from a live capture quoted in public code; the POST-again rule from
///   `KelvinTegelaar/AutotaskAPI: Public/Get-AutotaskAPIResource.ps1` and verified notes in public projects.)
/// - Validation errors are HTTP 500 with `{"errors":["…"]}` ("queueID is required",
///   "TimeEntries for Tickets must have a roleID.", "There is no row at position 0." for a role the resource
///   does not hold): Autotask "REST API" articles and live-verified notes in public projects.
/// - TicketNotes: `description` (≤ 32000), `noteType`, `publish` required; the seeded ticket category requires titles
///   (Autotask: "Require titles on ticket notes"). `publish` picklist 1 "All Autotask Users" (the client-portal-visible
///   value), 2 "Internal Project Team", 4 "Internal & Co-Managed"; a note is internal unless `publish` is 1.
/// - TimeEntries: `resourceID` and `dateWorked` required, `roleID` required on ticket time and must be a role the
///   resource holds, `hoursWorked` > 0 and ≤ 24 (Autotask "TimeEntries" entity page).
/// - TicketAttachments: `attachmentType` (only `FILE_ATTACHMENT` simulated), `fullPath`, `title`, `publish` and base64
///   `data` required, 6 MB per file (Autotask "AttachmentInfo" and "Working with attachments in the REST API").
/// - Contacts: `isActive` is an integer 0/1 (`docs/ContactModel.md`). Status ids follow Autotask's system values where
///   the name matches (New 1, Complete 5, In Progress 8, Waiting Approval 13…); the seed's last status is 5.
/// - Dates are ISO 8601 UTC with milliseconds, e.g. `2024-01-15T10:30:00.123Z`.
public final class AutotaskSimulator: PSASimulation {
    /// The technician (Autotask resource) time may be recorded for, and the one role that resource holds.
    public let resourceId: String
    public let roleId: String

    private let seed: PSASeed
    private let apiUser: String
    private let integrationCode: String
    private let apiSecret: String
    private let companyId = 29_683_616
    private let queueId = 29_682_833
    private let statusIds: [String: Int]
    private let contactIds: [String: Int]
    private let now: @Sendable () -> Date
    private let state: Mutex<State>

    private static let prefix = ["atservicesrest", "v1.0"]
    private static let pageSize = 25
    private static let completeStatus = 5
    private static let noteTypes: Set<Int> = [1, 2, 3, 13, 15, 16, 17, 18, 19, 91, 92, 93, 94, 95, 99, 100, 101]
    private static let publishValues: Set<Int> = [1, 2, 4]
    private static let maxAttachmentBytes = 6_000_000

    public init(seed: PSASeed = .contoso, now: @escaping @Sendable () -> Date = { Date() }) {
        self.seed = seed
        self.now = now
        var generator = SystemRandomNumberGenerator()
        let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        func random(_ count: Int, from characters: [Character]) -> String {
            String((0..<count).map { _ in characters[Int.random(in: 0..<characters.count, using: &generator)] })
        }
        integrationCode = random(27, from: alphanumerics)
        apiUser = random(15, from: Array("abcdefghijklmnopqrstuvwxyz0123456789")) + "@turnover-sim.example"
        // Autotask secrets carry symbols; keep some (none a shell expands) so header handling is exercised.
        apiSecret = random(18, from: alphanumerics + Array("abcdefghijkmnopqrstuvwxyz")) + "~*@"
        resourceId = "29682886"
        roleId = "29683402"

        let systemStatuses = [
            "new": 1, "complete": 5, "waiting customer": 7, "in progress": 8, "waiting materials": 9,
            "dispatched": 10, "escalate": 11, "waiting vendor": 12, "waiting approval": 13,
        ]
        var statuses: [String: Int] = [:]
        for (index, name) in seed.statuses.enumerated() {
            if index == 0 {
                statuses[name] = 1
            } else if index == seed.statuses.count - 1 {
                statuses[name] = Self.completeStatus
            } else {
                statuses[name] = systemStatuses[name.lowercased()] ?? 20 + index
            }
        }
        statusIds = statuses

        var contacts: [Int: Contact] = [:]
        var contactIds: [String: Int] = [:]
        for (index, contact) in seed.contacts.enumerated() {
            let id = 30_684_646 + index
            contacts[id] = Contact(
                id: id, companyID: 29_683_616, firstName: contact.firstName, lastName: contact.lastName,
                email: contact.email, isActive: 1)
            contactIds[contact.email.lowercased()] = id
        }
        self.contactIds = contactIds
        state = Mutex(State(contacts: contacts))
    }

    // MARK: - PSASimulation

    /// `ApiIntegrationCode`, `UserName` and `Secret`: the API-only user's credentials, sent as headers of those names.
    public var credentials: [String: String] {
        ["ApiIntegrationCode": integrationCode, "UserName": apiUser, "Secret": apiSecret]
    }

    /// The Autotask base URL is the zone's `…/ATServicesRest/V1.0`; the integration code is the client id.
    public func connectionFields(baseURL: String) -> PSASimConnection {
        PSASimConnection(
            url: baseURL + "/ATServicesRest/V1.0", clientId: integrationCode, account: nil, username: apiUser,
            secret: apiSecret)
    }

    public var directory: PSADirectory {
        PSADirectory(
            companyId: String(companyId), boardId: String(queueId), statuses: statusIds.mapValues(String.init),
            contacts: Dictionary(
                uniqueKeysWithValues: seed.contacts.compactMap { contact in
                    contactIds[contact.email.lowercased()].map { (contact.email, String($0)) }
                }))
    }

    @discardableResult
    public func openTicket(summary: String, details: String, contactEmail: String) -> String {
        let created = now()
        let contactID = contactIds[contactEmail.lowercased()]
        let firstStatus = seed.statuses.first.flatMap { statusIds[$0] } ?? 1
        return state.withLock { state in
            let id = state.nextTicketId
            state.nextTicketId += 1
            let day = Self.ticketNumberDay(created)
            state.tickets[id] = Ticket(
                id: id, number: "T\(day).\(String(String(id % 10_000 + 10_000).suffix(4)))", title: summary,
                description: details,
                companyID: companyId, contactID: contactID, queueID: queueId, status: firstStatus, createDate: created,
                userDefinedFields: [UserDefinedField(name: "Departure Date", value: nil)])
            return String(id)
        }
    }

    /// Sets a user-defined field on a ticket (adding it when the ticket has none of that name), as an admin would.
    public func setUserDefinedField(_ name: String, to value: String?, onTicket id: String) {
        guard let ticketID = Int(id) else { return }
        state.withLock { state in
            guard var ticket = state.tickets[ticketID] else { return }
            if let index = ticket.userDefinedFields.firstIndex(where: { $0.name == name }) {
                ticket.userDefinedFields[index].value = value
            } else {
                ticket.userDefinedFields.append(UserDefinedField(name: name, value: value))
            }
            state.tickets[ticketID] = ticket
        }
    }

    public func notes(onTicket id: String) -> [PSASimNote] {
        guard let ticketID = Int(id) else { return [] }
        return state.withLock { state in
            (state.notes[ticketID] ?? []).map { PSASimNote(text: $0.description, isInternal: $0.publish != 1, title: $0.title) }
        }
    }

    public func timeEntries(onTicket id: String) -> [PSASimTimeEntry] {
        guard let ticketID = Int(id) else { return [] }
        return state.withLock { state in
            (state.timeEntries[ticketID] ?? []).map {
                PSASimTimeEntry(minutes: $0.hoursWorked * 60, member: String($0.resourceID), notes: $0.summaryNotes)
            }
        }
    }

    public func status(ofTicket id: String) -> String? {
        guard let ticketID = Int(id) else { return nil }
        return state.withLock { $0.tickets[ticketID].map { String($0.status) } }
    }

    public func contactIsActive(email: String) -> Bool? {
        guard let id = contactIds[email.lowercased()] else { return nil }
        return state.withLock { $0.contacts[id].map { $0.isActive != 0 } }
    }

    public func attachments(onTicket id: String) -> [PSASimAttachment] {
        guard let ticketID = Int(id) else { return [] }
        return state.withLock { ($0.attachments[ticketID] ?? []).map { PSASimAttachment(fileName: $0.fullPath, data: $0.data) } }
    }

    public var writeCount: Int { state.withLock { $0.writeCount } }

    public var technician: (member: String, role: String?) { (resourceId, roleId) }

    private let revoked = Mutex(false)

    public func revokeCredentials() { revoked.withLock { $0 = true } }

    // MARK: - HTTP

    public func handle(_ request: PSARequest) async -> PSAResponse {
        let segments = request.segments
        guard segments.count >= 2, segments.prefix(2).map({ $0.lowercased() }) == Self.prefix else {
            return Self.noRoute(request)
        }
        if let refusal = authenticate(request) { return refusal }
        let path = Array(segments.dropFirst(2))
        let route = path.map { $0.lowercased() }
        let entity = route.first ?? ""
        do throws(Refusal) {
            switch (request.method, entity, route.count) {
            case ("GET", "tickets", 2) where route[1] == "entityinformation":
                let info: [String: Any] = [
                    "name": "Ticket", "canCreate": true, "canUpdate": true, "canQuery": true, "canDelete": false,
                    "hasUserDefinedFields": true,
                ]
                return .json(200, ["info": info])
            case ("GET", "tickets", 2) where route[1] != "query":
                return try ticketItem(path[1])
            case ("POST", "tickets", 2) where route[1] == "query":
                return try query(.tickets, request: request, cursor: nil)
            case ("POST", "tickets", 3) where route[1] == "query" && Self.cursors.contains(route[2]):
                return try query(.tickets, request: request, cursor: route[2])
            case ("PATCH", "tickets", 1):
                return try updateTicket(request)
            case ("POST", "tickets", 3) where route[2] == "notes":
                return try createNote(ticket: path[1], request)
            case ("POST", "tickets", 3) where route[2] == "attachments":
                return try createAttachment(ticket: path[1], request)
            case ("POST", "timeentries", 1):
                return try createTimeEntry(request)
            case ("GET", "contacts", 2) where route[1] != "query":
                return try contactItem(path[1])
            case ("POST", "contacts", 2) where route[1] == "query":
                return try query(.contacts, request: request, cursor: nil)
            case ("POST", "contacts", 3) where route[1] == "query" && Self.cursors.contains(route[2]):
                return try query(.contacts, request: request, cursor: route[2])
            case ("PATCH", "companies", 3) where route[2] == "contacts":
                return try updateContact(company: path[1], request)
            case ("GET", "tickets", 2), ("GET", "contacts", 2):
                // `GET …/query?search=` is valid Autotask; Turnover POSTs its filters, so it is not simulated.
                throw Refusal("GET queries are valid in Autotask but not implemented by this simulator; POST the filter.")
            default:
                guard Self.isServed(route) else { return Self.noRoute(request) }
                return .json(405, ["Message": "The requested resource does not support http method '\(request.method)'."])
            }
        } catch {
            return .json(error.status, ["errors": [error.message]])
        }
    }

    private static let cursors: Set<String> = ["next", "previous"]

    /// Paths this simulator answers for some method, so that another method gets Autotask's 405 rather than a 404.
    private static func isServed(_ route: [String]) -> Bool {
        switch (route.first ?? "", route.count) {
        case ("tickets", 1), ("timeentries", 1): true
        case ("tickets", 2), ("contacts", 2): true
        case ("tickets", 3), ("contacts", 3): route[1] == "query" ? cursors.contains(route[2]) : true
        case ("companies", 3): route[2] == "contacts"
        default: false
        }
    }

    /// Autotask's refusals: an `errors` array, with HTTP 500 for field and business-rule validation.
    private struct Refusal: Error {
        var status = 500
        var message: String
        init(_ message: String, status: Int = 500) {
            self.message = message
            self.status = status
        }
    }

    private static func noRoute(_ request: PSARequest) -> PSAResponse {
        .json(404, ["Message": "No HTTP resource was found that matches the request URI '\(request.path)'."])
    }

    private func authenticate(_ request: PSARequest) -> PSAResponse? {
        guard let user = request.header("UserName"), let code = request.header("ApiIntegrationCode"),
            let secret = request.header("Secret")
        else { return PSAResponse(status: 401) }
        guard user.lowercased() == apiUser.lowercased(), code == integrationCode else {
            return .json(500, ["errors": ["The API user or the API integration code could not be identified."]])
        }
        guard secret == apiSecret, !revoked.withLock({ $0 }) else { return PSAResponse(status: 401) }
        return nil
    }

    // MARK: - Reads

    private func ticketItem(_ id: String) throws(Refusal) -> PSAResponse {
        let rendered = state.withLock { state in Int(id).flatMap { state.tickets[$0] }.map(render) }
        guard let rendered else { throw Refusal("Ticket \(id) was not found.", status: 404) }
        return .json(200, ["item": rendered])
    }

    private func contactItem(_ id: String) throws(Refusal) -> PSAResponse {
        let rendered = state.withLock { state in Int(id).flatMap { state.contacts[$0] }.map(render) }
        guard let rendered else { throw Refusal("Contact \(id) was not found.", status: 404) }
        return .json(200, ["item": rendered])
    }

    private enum QueriedEntity: String {
        case tickets = "Tickets"
        case contacts = "Contacts"

        /// The queryable fields, lowercased (UDFs are queried with `"udf": true`, which is not simulated).
        var fields: Set<String> {
            switch self {
            case .tickets:
                [
                    "id", "ticketnumber", "title", "description", "companyid", "contactid", "queueid", "status",
                    "priority", "ticketcategory", "tickettype", "source", "issuetype", "subissuetype",
                    "assignedresourceid", "createdate", "lastactivitydate", "duedatetime",
                ]
            case .contacts:
                ["id", "companyid", "firstname", "lastname", "emailaddress", "emailaddress2", "emailaddress3", "isactive"]
            }
        }
    }

    private func query(_ entity: QueriedEntity, request: PSARequest, cursor: String?) throws(Refusal) -> PSAResponse {
        guard let body = request.json as? [String: Any], let filter = Self.member(body, "filter") as? [Any], !filter.isEmpty
        else { throw Refusal("Value cannot be null.\r\nParameter name: filters") }
        var pageSize = Self.pageSize
        if let maxRecords = Self.member(body, "MaxRecords") {
            guard let requested = Self.int(maxRecords), (1...500).contains(requested) else {
                throw Refusal("MaxRecords must be between 1 and 500.")
            }
            pageSize = min(requested, pageSize)
        }
        let records: [[String: Any]] = state.withLock { state in
            switch entity {
            case .tickets: state.tickets.values.sorted { $0.id < $1.id }.map(render)
            case .contacts: state.contacts.values.sorted { $0.id < $1.id }.map(render)
            }
        }
        let fields = entity.fields
        var matched: [[String: Any]] = []
        for record in records {
            if try Self.matches(record, all: filter, fields: fields, entity: entity.rawValue) { matched.append(record) }
        }
        let ids = matched.compactMap { Self.int($0["id"]) }

        var start = 0
        if let cursor {
            guard let text = request.query["paging"], let paging = Self.object(text),
                let size = Self.int(paging["pageSize"])
            else { throw Refusal("The paging parameter is missing or malformed.") }
            pageSize = min(max(size, 1), 500)
            if cursor == "next" {
                guard let first = (paging["nextIds"] as? [Any])?.first.flatMap({ Self.int($0) }) else {
                    throw Refusal("The paging parameter is missing or malformed.")
                }
                start = ids.firstIndex { $0 >= first } ?? ids.count
            } else {
                guard let current = (paging["previousIds"] as? [Any])?.first.flatMap({ Self.int($0) }) else {
                    throw Refusal("The paging parameter is missing or malformed.")
                }
                start = max((ids.firstIndex { $0 >= current } ?? ids.count) - pageSize, 0)
            }
        }
        let end = min(start + pageSize, ids.count)
        let page = Array(matched[start..<end])
        // Autotask's cursor URLs are absolute. The server hands the simulator no `Host` (HTTPTypes keeps it as the
        // authority), so without one the link is path-absolute and the client resolves it against its base URL.
        let origin = (request.header("host").map { "http://\($0)" } ?? "") + "/ATServicesRest/V1.0/\(entity.rawValue)/query"
        func link(_ direction: String, previous: Int, next: Int) -> String {
            let paging = "{\"pageSize\":\(pageSize),\"previousIds\":[\(previous)],\"nextIds\":[\(next)]}"
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return "\(origin)/\(direction)?paging=\(paging.addingPercentEncoding(withAllowedCharacters: allowed) ?? paging)"
        }
        let firstOnPage = start < end ? ids[start] : -1
        let nextURL: Any = end < ids.count ? link("next", previous: firstOnPage, next: ids[end]) : NSNull()
        let previousURL: Any = start > 0 ? link("previous", previous: firstOnPage, next: firstOnPage) : NSNull()
        let pageDetails: [String: Any] = [
            "count": page.count, "requestCount": pageSize, "prevPageUrl": previousURL, "nextPageUrl": nextURL,
        ]
        let answer: [String: Any] = ["items": page, "pageDetails": pageDetails]
        return .json(200, answer)
    }

    /// Whether a record passes every top-level condition (they are ANDed, as in Autotask).
    private static func matches(
        _ record: [String: Any], all conditions: [Any], fields: Set<String>, entity: String
    )
        throws(Refusal) -> Bool
    {
        for condition in conditions {
            if !(try matches(record, condition, fields: fields, entity: entity)) { return false }
        }
        return true
    }

    private static func matches(
        _ record: [String: Any], _ condition: Any, fields: Set<String>, entity: String
    )
        throws(Refusal) -> Bool
    {
        guard let condition = condition as? [String: Any], let op = (member(condition, "op") as? String)?.lowercased()
        else { throw Refusal("Each filter expression needs an 'op'.") }
        if op == "and" || op == "or" {
            guard let items = member(condition, "items") as? [Any], !items.isEmpty else {
                throw Refusal("A '\(op)' grouping needs 'items'.")
            }
            var results: [Bool] = []
            for item in items { results.append(try matches(record, item, fields: fields, entity: entity)) }
            return op == "and" ? !results.contains(false) : results.contains(true)
        }
        guard let field = member(condition, "field") as? String, !field.isEmpty else {
            throw Refusal("A '\(op)' filter needs a 'field'.")
        }
        guard fields.contains(field.lowercased()) else {
            throw Refusal("Unable to find \(field) in the \(entity) Entity.")
        }
        let actual = comparable(member(record, field))
        switch op {
        case "exist": return actual != nil
        case "notexist": return actual == nil
        case "eq", "noteq":
            guard let expected = member(condition, "value") else { throw Refusal("A '\(op)' filter needs a 'value'.") }
            let equal = actual != nil && actual == comparable(expected)
            return op == "eq" ? equal : !equal
        case "in", "notin":
            guard let values = member(condition, "value") as? [Any], !values.isEmpty else {
                throw Refusal("An '\(op)' filter needs a list of values.")
            }
            let contained = actual != nil && values.map(comparable).contains(actual)
            return op == "in" ? contained : !contained
        default:
            throw Refusal("The '\(op)' operator is valid in Autotask but not implemented by this simulator.")
        }
    }

    // MARK: - Writes

    private func createNote(ticket: String, _ request: PSARequest) throws(Refusal) -> PSAResponse {
        let body = try Self.body(request)
        guard let ticketID = Int(ticket), ticketExists(ticketID) else { throw Refusal("Ticket \(ticket) was not found.", status: 404) }
        if let sent = Self.member(body, "ticketID"), Self.int(sent) != ticketID {
            throw Refusal("ticketID does not match the parent ticket \(ticketID).")
        }
        guard let description = Self.member(body, "description") as? String, !description.isEmpty else {
            throw Refusal("description is required")
        }
        guard description.count <= 32_000 else { throw Refusal("description cannot exceed 32000 characters.") }
        guard let noteType = Self.int(Self.member(body, "noteType")) else { throw Refusal("noteType is required") }
        guard Self.noteTypes.contains(noteType) else { throw Refusal("\(noteType) is not a valid value for noteType.") }
        guard let publish = Self.int(Self.member(body, "publish")) else { throw Refusal("publish is required") }
        guard Self.publishValues.contains(publish) else { throw Refusal("\(publish) is not a valid value for publish.") }
        guard let title = Self.member(body, "title") as? String, !title.isEmpty else {
            throw Refusal("title is required")
        }
        guard title.count <= 250 else { throw Refusal("title cannot exceed 250 characters.") }
        let id = state.withLock { state in
            let id = state.nextNoteId
            state.nextNoteId += 1
            state.notes[ticketID, default: []].append(
                Note(id: id, title: title, description: description, noteType: noteType, publish: publish))
            state.writeCount += 1
            return id
        }
        return .json(200, ["itemId": id])
    }

    private func createTimeEntry(_ request: PSARequest) throws(Refusal) -> PSAResponse {
        let body = try Self.body(request)
        guard let resource = Self.member(body, "resourceID") else { throw Refusal("resourceID is required") }
        guard let resourceID = Self.int(resource), String(resourceID) == resourceId else {
            throw Refusal("resourceID \(resource) does not refer to an active resource.")
        }
        guard let dateWorked = Self.member(body, "dateWorked") as? String else { throw Refusal("dateWorked is required") }
        guard Self.parseDate(dateWorked) != nil else { throw Refusal("dateWorked is not a valid date: \(dateWorked)") }
        var ticketID: Int?
        if let ticket = Self.member(body, "ticketID"), !(ticket is NSNull) {
            guard let id = Self.int(ticket), ticketExists(id) else { throw Refusal("ticketID \(ticket) was not found.") }
            ticketID = id
            guard let role = Self.member(body, "roleID"), !(role is NSNull) else {
                throw Refusal("TimeEntries for Tickets must have a roleID.")
            }
            // Autotask looks the role up among the resource's roles and fails with this raw message when absent.
            guard let roleID = Self.int(role), String(roleID) == roleId else { throw Refusal("There is no row at position 0.") }
        }
        guard let ticketID else { throw Refusal("This simulator records time on tickets only; ticketID is required.") }
        let start = (Self.member(body, "startDateTime") as? String).flatMap(Self.parseDate)
        let end = (Self.member(body, "endDateTime") as? String).flatMap(Self.parseDate)
        if let start, let end, end <= start { throw Refusal("endDateTime must be later than startDateTime.") }
        let derived = start.flatMap { start in end.map { $0.timeIntervalSince(start) / 3600 } }
        guard let hoursWorked = Self.double(Self.member(body, "hoursWorked")) ?? derived else {
            throw Refusal("hoursWorked is required")
        }
        guard hoursWorked > 0, hoursWorked <= 24 else {
            throw Refusal("hoursWorked must be greater than 0 and no more than 24.")
        }
        let summary = Self.member(body, "summaryNotes") as? String ?? ""
        let id = state.withLock { state in
            let id = state.nextTimeEntryId
            state.nextTimeEntryId += 1
            state.timeEntries[ticketID, default: []].append(
                TimeEntry(id: id, resourceID: resourceID, hoursWorked: hoursWorked, summaryNotes: summary))
            state.writeCount += 1
            return id
        }
        return .json(200, ["itemId": id])
    }

    private func updateTicket(_ request: PSARequest) throws(Refusal) -> PSAResponse {
        let body = try Self.body(request)
        guard let id = Self.int(Self.member(body, "id")) else { throw Refusal("id is required") }
        let updatable: Set<String> = ["id", "status", "title", "description", "queueid", "priority"]
        if let unknown = body.keys.first(where: { !updatable.contains($0.lowercased()) }) {
            throw Refusal("Unable to find \(unknown) in the Tickets Entity.")
        }
        var newStatus: Int?
        if let status = Self.member(body, "status") {
            guard let value = Self.int(status), Set(statusIds.values).contains(value) else {
                throw Refusal("\(status) is not a valid value for status.")
            }
            newStatus = value
        }
        let newTitle = Self.member(body, "title") as? String
        let newDescription = Self.member(body, "description") as? String
        let found = state.withLock { state -> Bool in
            guard var ticket = state.tickets[id] else { return false }
            if let newStatus { ticket.status = newStatus }
            if let newTitle { ticket.title = newTitle }
            if let newDescription { ticket.description = newDescription }
            state.tickets[id] = ticket
            state.writeCount += 1
            return true
        }
        guard found else { throw Refusal("Ticket \(id) was not found.", status: 404) }
        return .json(200, ["itemId": id])
    }

    private func updateContact(company: String, _ request: PSARequest) throws(Refusal) -> PSAResponse {
        let body = try Self.body(request)
        guard Int(company) == companyId else { throw Refusal("Company \(company) was not found.", status: 404) }
        guard let id = Self.int(Self.member(body, "id")) else { throw Refusal("id is required") }
        var isActive: Int?
        if let value = Self.member(body, "isActive") {
            guard let flag = Self.int(value) ?? (value as? Bool).map({ $0 ? 1 : 0 }), flag == 0 || flag == 1 else {
                throw Refusal("\(value) is not a valid value for isActive.")
            }
            isActive = flag
        }
        let outcome = state.withLock { state -> String? in
            guard var contact = state.contacts[id] else { return "Contact \(id) was not found." }
            guard contact.companyID == companyId else { return "Contact \(id) does not belong to company \(company)." }
            if let isActive { contact.isActive = isActive }
            state.contacts[id] = contact
            state.writeCount += 1
            return nil
        }
        if let outcome { throw Refusal(outcome) }
        return .json(200, ["itemId": id])
    }

    private func createAttachment(ticket: String, _ request: PSARequest) throws(Refusal) -> PSAResponse {
        let body = try Self.body(request)
        guard let ticketID = Int(ticket), ticketExists(ticketID) else { throw Refusal("Ticket \(ticket) was not found.", status: 404) }
        guard let type = Self.member(body, "attachmentType") as? String else { throw Refusal("attachmentType is required") }
        guard type == "FILE_ATTACHMENT" else {
            throw Refusal("attachmentType \(type) is not implemented by this simulator; use FILE_ATTACHMENT.")
        }
        guard let fullPath = Self.member(body, "fullPath") as? String, !fullPath.isEmpty else {
            throw Refusal("fullPath is required")
        }
        guard let title = Self.member(body, "title") as? String, !title.isEmpty else { throw Refusal("title is required") }
        guard let publish = Self.int(Self.member(body, "publish")) else { throw Refusal("publish is required") }
        guard Self.publishValues.contains(publish) else { throw Refusal("\(publish) is not a valid value for publish.") }
        guard let encoded = Self.member(body, "data") as? String, let data = Data(base64Encoded: encoded) else {
            throw Refusal("data is required and must be base64 encoded for a FILE_ATTACHMENT.")
        }
        guard data.count <= Self.maxAttachmentBytes else { throw Refusal("The attachment exceeds the 6 MB size limit.") }
        let id = state.withLock { state in
            let id = state.nextAttachmentId
            state.nextAttachmentId += 1
            state.attachments[ticketID, default: []].append(
                Attachment(id: id, title: title, fullPath: fullPath, publish: publish, data: data))
            state.writeCount += 1
            return id
        }
        return .json(200, ["itemId": id])
    }

    private func ticketExists(_ id: Int) -> Bool { state.withLock { $0.tickets[id] != nil } }

    // MARK: - Rendering

    private func render(_ ticket: Ticket) -> [String: Any] {
        [
            "id": ticket.id, "ticketNumber": ticket.number, "title": ticket.title, "description": ticket.description,
            "companyID": ticket.companyID, "contactID": Self.orNull(ticket.contactID), "queueID": ticket.queueID,
            "status": ticket.status, "priority": 2, "ticketCategory": 3, "ticketType": 1, "source": 4,
            "issueType": NSNull(), "subIssueType": NSNull(), "assignedResourceID": NSNull(),
            "createDate": Self.format(ticket.createDate), "lastActivityDate": Self.format(ticket.createDate),
            "dueDateTime": Self.format(ticket.createDate.addingTimeInterval(3 * 86_400)),
            "userDefinedFields": ticket.userDefinedFields.map { field -> [String: Any] in
                ["name": field.name, "value": Self.orNull(field.value)]
            },
        ]
    }

    private func render(_ contact: Contact) -> [String: Any] {
        [
            "id": contact.id, "companyID": contact.companyID, "firstName": contact.firstName,
            "lastName": contact.lastName, "emailAddress": contact.email, "emailAddress2": NSNull(),
            "emailAddress3": NSNull(), "isActive": contact.isActive, "userDefinedFields": [Any](),
        ]
    }

    // MARK: - JSON helpers

    private static func orNull(_ value: Any?) -> Any { value ?? NSNull() }

    private static func body(_ request: PSARequest) throws(Refusal) -> [String: Any] {
        guard let body = request.json as? [String: Any] else { throw Refusal("The request body is not a JSON object.") }
        return body
    }

    /// A member by name, ignoring case: Autotask binds field names case-insensitively.
    private static func member(_ object: [String: Any], _ name: String) -> Any? {
        if let value = object[name] { return value }
        let lowered = name.lowercased()
        return object.first { $0.key.lowercased() == lowered }?.value
    }

    private static func int(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: number
        case let number as Double where number == number.rounded(): Int(exactly: number)
        case let text as String: Int(text)
        default: nil
        }
    }

    private static func double(_ value: Any?) -> Double? {
        switch value {
        case let number as Double: number
        case let number as Int: Double(number)
        case let text as String: Double(text)
        default: nil
        }
    }

    /// A value as filters compare it: numbers by value, text without regard to case, null as nothing.
    private static func comparable(_ value: Any?) -> String? {
        // Numbers before booleans: a parsed JSON number is an NSNumber, which also casts to Bool on Linux.
        switch value {
        case nil, is NSNull: nil
        case let number as Int: String(number)
        case let number as Double: number == number.rounded() ? String(Int(number)) : String(number)
        case let flag as Bool: flag ? "true" : "false"
        case let text as String: Int(text).map(String.init) ?? text.lowercased()
        default: String(describing: value).lowercased()
        }
    }

    private static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Autotask accepts ISO 8601 with or without fractions, and without a zone it means UTC.
    private static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) ?? formatter.date(from: text + "Z") { return date }
        }
        return nil
    }

    private static func ticketNumberDay(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay]
        return formatter.string(from: date)
    }

    // MARK: - State

    private struct UserDefinedField {
        var name: String
        var value: String?
    }

    private struct Ticket {
        var id: Int
        var number: String
        var title: String
        var description: String
        var companyID: Int
        var contactID: Int?
        var queueID: Int
        var status: Int
        var createDate: Date
        var userDefinedFields: [UserDefinedField]
    }

    private struct Contact {
        var id: Int
        var companyID: Int
        var firstName: String
        var lastName: String
        var email: String
        var isActive: Int
    }

    private struct Note {
        var id: Int
        var title: String
        var description: String
        var noteType: Int
        var publish: Int
    }

    private struct TimeEntry {
        var id: Int
        var resourceID: Int
        var hoursWorked: Double
        var summaryNotes: String
    }

    private struct Attachment {
        var id: Int
        var title: String
        var fullPath: String
        var publish: Int
        var data: Data
    }

    private struct State {
        var tickets: [Int: Ticket] = [:]
        var contacts: [Int: Contact]
        var notes: [Int: [Note]] = [:]
        var timeEntries: [Int: [TimeEntry]] = [:]
        var attachments: [Int: [Attachment]] = [:]
        var nextTicketId = 43_180
        var nextNoteId = 29_926_287
        var nextTimeEntryId = 30_548
        var nextAttachmentId = 9_001
        var writeCount = 0
    }
}
