import Foundation
import Synchronization

/// ConnectWise PSA (Manage) REST API 3.0, as much of it as Turnover uses, served under
/// `/{codebase}/apis/3.0` (`/v4_6_release/apis/3.0` on premise; a cloud codebase such as `/v2025_1/` works too).
///
/// `credentials` keys, by ConnectWise's names: `companyId` (the login company, the part of the Basic user
/// before the `+`), `publicKey` and `privateKey` (an API member's key pair) and `clientId` (the integration's
/// registered GUID, sent as the `clientId` header).
///
/// How strict it is:
/// - Every request needs the `clientId` header (missing: 403 `Security`; not the registered one: 400) and
///   `Authorization: Basic base64(companyId+publicKey:privateKey)`; anything else is 401 `Unauthorized`.
/// - Lists (`service/tickets`, `service/tickets/{id}/notes`, `company/contacts`, `system/documents`) take
///   `conditions`, `childConditions`, `orderBy`, `page` and `pageSize` and answer a `Link` header. `pageSize` is
///   capped at 25 here (1,000 at ConnectWise) so that a test crosses a page. The condition grammar is the
///   documented one (`=`, `!=`, `<`, `<=`, `>`, `>=`, `contains`, `like`, `in`, `not`, `and`, `or`, parentheses;
///   `"strings"`, numbers, `true`/`false`/`null`, `[dates]`); a field the record does not have, or text the parser
///   cannot read, is 400 `ApiFindCondition`.
/// - Refused content answers ConnectWise's `InvalidObject` shape:
///   `{"code":"InvalidObject","message":"serviceNote object is invalid","errors":[{"code","message","resource","field"}]}`.
///   A note needs text and one of its three flags; a time entry needs `timeStart`, a `member` and a ticket to
///   charge; a status must be one of the board's; a document needs multipart/form-data with `recordType=Ticket`,
///   a `recordId` and a `file` (JSON is 415).
/// - Dates are ConnectWise's `yyyy-MM-ddTHH:mm:ssZ`; a date with fractions of a second is refused.
///
/// Sources:
/// - ConnectWise Developer Guide (developer.connectwise.com/Products/ConnectWise_PSA/Developer_Guide): Basic auth with
///   `companyid+publickey:privatekey`, the `clientId` header, the condition grammar and `childConditions`, paging
///   (default 25, max 1,000, RFC 5988 `Link`), JSON Patch bodies, status codes (415 for documents sent as JSON).
/// - ConnectWise's OpenAPI 2025.8 as generated in `ai-connor/connectwise` (`api_documents.go`: the multipart fields
///   `file`, `recordId`, `recordType`, `title`, `privateFlag`; `model_error_response_message.go`; `model_info.go`;
///   `model_document_info.go`).
/// - `HealthITAU/pyconnectwise: src/pyconnectwise/models/manage/__init__.py` (Ticket: `summary` required,
///   `initialDescription` POST-only; ServiceNote; TimeEntry: `timeStart` required; Contact `communicationItems`).
/// - `christaylorcodes/ConnectWiseManageAPI` (`Connect-CWM.ps1`, `New-CWMTicketNote.ps1`, `New-CWMTimeEntry.ps1`,
///   `New-CWMDocument.ps1`, `Invoke-CWMWebRequest.ps1`: a refused key answers `code` `Unauthorized`) and its issue #30
///   (`InvalidObject` / `MissingRequiredField`).
/// - LabtechConsulting/ConnectWise-Manage-Powershell issue #12: a note without a flag is "serviceNote object is
///   invalid" / "Please choose where to display the notes in order to save this record."
/// - docs.xyte.io/docs/kb-5017: "Service Status 17 not found for Service Board 21" (`status/id`), "Incorrect
///   public/private key", `Security`.
/// - Field notes for `ApiFindCondition` ("board/name is not a recognized name."), `_info.dateEntered`, the
///   `detailDescriptionFlag=true` notes condition and a missing `clientId` being 403 (Databranch's public "ConnectWise
///   Manage API -- Lessons Learned"); an unregistered `clientId` being 400 (mspvectis.com/docs/connectwise).
public final class ConnectWiseSimulator: PSASimulation {
    /// ConnectWise caps a page at 1,000 records; this simulator at 25, its default, so that paging is exercised.
    static let largestPage = 25
    /// The API member the keys belong to; it is who ConnectWise says wrote a note.
    static let apiMember = "TurnoverAPI"

    struct Status: Sendable {
        var id: Int
        var name: String
        var closed: Bool
    }

    struct Contact: Sendable {
        var id: Int
        var firstName: String
        var lastName: String
        var email: String
        var inactive = false
    }

    struct Note: Sendable {
        var id: Int
        var text: String
        var detail: Bool
        var internalAnalysis: Bool
        var resolution: Bool
        var created: Date
        var createdBy: String
    }

    struct CustomField: Sendable {
        var id: Int
        var caption: String
        var value: String?
    }

    struct Ticket: Sendable {
        var id: Int
        var summary: String
        var statusId: Int
        var contactId: Int?
        var contactName: String
        var contactEmail: String
        var entered: Date
        var updated: Date
        var closedDate: Date?
        var customFields: [CustomField]
        var notes: [Note]
    }

    struct TimeEntry: Sendable {
        var id: Int
        var ticketId: Int
        var member: String
        var start: Date
        var end: Date
        var notes: String
    }

    struct Document: Sendable {
        var id: Int
        var ticketId: Int
        var title: String
        var fileName: String
        var data: Data
        var privateFlag: Bool
        var created: Date
    }

    struct State: Sendable {
        var tickets: [Int: Ticket] = [:]
        var contacts: [Contact]
        var timeEntries: [TimeEntry] = []
        var documents: [Document] = []
        var nextTicket = 1001
        var nextNote = 50001
        var nextTimeEntry = 7001
        var nextDocument = 9001
        var writes = 0
    }

    struct Keys: Sendable {
        var companyId: String
        var publicKey: String
        var privateKey: String
        var clientId: String
    }

    let state: Mutex<State>
    let keys: Keys
    let company: (id: Int, identifier: String, name: String)
    let board: (id: Int, name: String)
    let statuses: [Status]

    public init(seed: PSASeed = .contoso) {
        let identifier = seed.companyName.filter { $0.isLetter || $0.isNumber }
        company = (id: 250, identifier: identifier, name: seed.companyName)
        board = (id: 5, name: seed.boardName)
        statuses = seed.statuses.enumerated().map { index, name in
            Status(id: 16 + index, name: name, closed: index == seed.statuses.count - 1)
        }
        func key() -> String { String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)) }
        keys = Keys(
            companyId: identifier.lowercased(), publicKey: key(), privateKey: key(), clientId: UUID().uuidString.lowercased())
        let contacts = seed.contacts.enumerated().map { index, contact in
            Contact(id: 301 + index, firstName: contact.firstName, lastName: contact.lastName, email: contact.email)
        }
        state = Mutex(State(contacts: contacts))
    }

    public var credentials: [String: String] {
        ["companyId": keys.companyId, "publicKey": keys.publicKey, "privateKey": keys.privateKey, "clientId": keys.clientId]
    }

    /// ConnectWise's API lives under the codebase path; on premise that is `v4_6_release`.
    public func connectionFields(baseURL: String) -> PSASimConnection {
        PSASimConnection(
            url: baseURL + "/v4_6_release/apis/3.0", clientId: keys.clientId, account: keys.companyId, username: keys.publicKey,
            secret: keys.privateKey)
    }

    public var directory: PSADirectory {
        let contacts = state.withLock { state in state.contacts }
        return PSADirectory(
            companyId: String(company.id), boardId: String(board.id),
            statuses: Dictionary(statuses.map { ($0.name, String($0.id)) }, uniquingKeysWith: { first, _ in first }),
            contacts: Dictionary(contacts.map { ($0.email.lowercased(), String($0.id)) }, uniquingKeysWith: { first, _ in first }))
    }

    @discardableResult
    public func openTicket(summary: String, details: String, contactEmail: String) -> String {
        state.withLock { state in
            let now = Date()
            let contact = state.contacts.first { $0.email.caseInsensitiveCompare(contactEmail) == .orderedSame }
            // ConnectWise keeps `initialDescription` as the ticket's first note, shown in the discussion.
            let description = Note(
                id: state.nextNote, text: details, detail: true, internalAnalysis: false, resolution: false, created: now,
                createdBy: "Email Connector")
            state.nextNote += 1
            let ticket = Ticket(
                id: state.nextTicket, summary: summary, statusId: statuses.first?.id ?? 0, contactId: contact?.id,
                contactName: contact.map { "\($0.firstName) \($0.lastName)" } ?? "", contactEmail: contactEmail, entered: now,
                updated: now, closedDate: nil, customFields: [CustomField(id: 7, caption: "Leaver", value: nil)],
                notes: [description])
            state.tickets[ticket.id] = ticket
            state.nextTicket += 1
            return String(ticket.id)
        }
    }

    /// Fills a custom field on a ticket, as a technician would in the ticket's Custom tab.
    public func setCustomField(_ caption: String, to value: String?, onTicket id: String) {
        state.withLock { state in
            guard let number = Int(id), var ticket = state.tickets[number] else { return }
            if let index = ticket.customFields.firstIndex(where: { $0.caption == caption }) {
                ticket.customFields[index].value = value
            } else {
                ticket.customFields.append(CustomField(id: 7 + ticket.customFields.count, caption: caption, value: value))
            }
            state.tickets[number] = ticket
        }
    }

    public func notes(onTicket id: String) -> [PSASimNote] {
        state.withLock { state in
            guard let number = Int(id), let ticket = state.tickets[number] else { return [] }
            // Only internal analysis is hidden from the contact; discussion and resolution show on the portal.
            return ticket.notes.map {
                PSASimNote(text: $0.text, isInternal: $0.internalAnalysis && !$0.detail && !$0.resolution, title: nil)
            }
        }
    }

    public func timeEntries(onTicket id: String) -> [PSASimTimeEntry] {
        state.withLock { state in
            state.timeEntries.filter { String($0.ticketId) == id }.map {
                PSASimTimeEntry(minutes: $0.end.timeIntervalSince($0.start) / 60, member: $0.member, notes: $0.notes)
            }
        }
    }

    public func status(ofTicket id: String) -> String? {
        state.withLock { state in Int(id).flatMap { state.tickets[$0] }.map { String($0.statusId) } }
    }

    public func contactIsActive(email: String) -> Bool? {
        state.withLock { state in
            state.contacts.first { $0.email.caseInsensitiveCompare(email) == .orderedSame }.map { !$0.inactive }
        }
    }

    public func attachments(onTicket id: String) -> [PSASimAttachment] {
        state.withLock { state in
            state.documents.filter { String($0.ticketId) == id }.map { PSASimAttachment(fileName: $0.fileName, data: $0.data) }
        }
    }

    public var writeCount: Int { state.withLock { state in state.writes } }

    public var technician: (member: String, role: String?) { (Self.apiMember, nil) }

    private let revoked = Mutex(false)

    public func revokeCredentials() { revoked.withLock { $0 = true } }

    // MARK: - Requests

    public func handle(_ request: PSARequest) async -> PSAResponse {
        let segments = request.segments
        guard segments.count > 3, segments[1].lowercased() == "apis", segments[2] == "3.0" else { return Self.notFound() }
        if let refusal = refusal(of: request) { return refusal }
        let route = Array(segments.dropFirst(3))
        return state.withLock { state in respond(to: request, route: route, state: &state) }
    }

    func refusal(of request: PSARequest) -> PSAResponse? {
        guard let clientId = request.header("clientId"), !clientId.isEmpty else {
            return Self.error(
                403, "Security", "A clientId header is required on every request (https://developer.connectwise.com/ClientID).")
        }
        guard clientId.caseInsensitiveCompare(keys.clientId) == .orderedSame else {
            return Self.error(400, "InvalidClientId", "The clientId \(clientId) is not registered for this integration.")
        }
        let refused = Self.error(401, "Unauthorized", "Incorrect public/private key")
        if revoked.withLock({ $0 }) { return refused }
        guard let authorization = request.header("Authorization"), authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { return refused }
        let user = pair[..<colon]
        let privateKey = pair[pair.index(after: colon)...]
        guard let plus = user.firstIndex(of: "+") else { return refused }
        let companyId = user[..<plus]
        let publicKey = user[user.index(after: plus)...]
        // The login company is not case sensitive at ConnectWise; the keys are.
        guard companyId.caseInsensitiveCompare(keys.companyId) == .orderedSame, publicKey == keys.publicKey,
            privateKey == keys.privateKey
        else { return refused }
        return nil
    }

    func respond(to request: PSARequest, route: [String], state: inout State) -> PSAResponse {
        let path = route.map { $0.lowercased() }
        let method = request.method.uppercased()
        func matches(_ pattern: String...) -> Bool {
            pattern.count == path.count && zip(pattern, path).allSatisfy { $0 == "#" ? Int($1) != nil : $0 == $1 }
        }
        let id = path.count > 2 ? Int(path[2]) ?? 0 : 0
        switch method {
        case "GET" where matches("system", "info"):
            return .json(200, ["version": "v2025.1.10431", "isCloud": false, "serverTimeZone": "Eastern Standard Time"])
        case "GET" where matches("service", "tickets"):
            return list(state.tickets.values.sorted { $0.id < $1.id }.map { render($0) }, request)
        case "GET" where matches("service", "tickets", "#"):
            guard let ticket = state.tickets[id] else { return Self.missing("Ticket", id) }
            return .json(200, render(ticket))
        case "PATCH" where matches("service", "tickets", "#"):
            return patchTicket(id, request, &state)
        case "GET" where matches("service", "tickets", "#", "notes"):
            guard let ticket = state.tickets[id] else { return Self.missing("Ticket", id) }
            return list(ticket.notes.map { render($0, ticket: ticket.id) }, request)
        case "POST" where matches("service", "tickets", "#", "notes"):
            return addNote(id, request, &state)
        case "POST" where matches("time", "entries"):
            return addTimeEntry(request, &state)
        case "GET" where matches("company", "contacts"):
            return list(state.contacts.map { render($0) }, request)
        case "PATCH" where matches("company", "contacts", "#"):
            return patchContact(id, request, &state)
        case "POST" where matches("system", "documents"):
            return addDocument(request, &state)
        case "GET" where matches("system", "documents"):
            var documents = state.documents
            if let recordType = request.parameter("recordType"), recordType.caseInsensitiveCompare("Ticket") != .orderedSame {
                documents = []
            }
            if let recordId = request.parameter("recordId") { documents = documents.filter { String($0.ticketId) == recordId } }
            return list(documents.map { render($0) }, request)
        case "GET" where matches("system", "documents", "#", "download"):
            guard let document = state.documents.first(where: { $0.id == id }) else { return Self.missing("Document", id) }
            return PSAResponse(
                status: 200,
                headers: [
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Disposition", "attachment; filename=\"\(document.fileName)\""),
                ], body: document.data)
        default:
            return Self.notFound()
        }
    }

    // MARK: - Writes

    func patchTicket(_ id: Int, _ request: PSARequest, _ state: inout State) -> PSAResponse {
        guard var ticket = state.tickets[id] else { return Self.missing("Ticket", id) }
        guard let operations = Self.patchOperations(request) else { return Self.patchRequired() }
        var problems: [Problem] = []
        for operation in operations {
            switch operation.path {
            case "status":
                let value = operation.value as? [String: Any]
                let statusId = Self.integer(value?["id"])
                let name = value?["name"] as? String
                let status = statuses.first { candidate in
                    if let statusId { return candidate.id == statusId }
                    if let name { return candidate.name.caseInsensitiveCompare(name) == .orderedSame }
                    return false
                }
                guard let status else {
                    let named = statusId.map(String.init) ?? name ?? "(none)"
                    problems.append(
                        Problem("NotFound", "Service Status \(named) not found for Service Board \(board.id)", field: "status/id"))
                    continue
                }
                ticket.statusId = status.id
                ticket.closedDate = status.closed ? Date() : nil
            case "summary":
                guard let summary = operation.value as? String, !summary.isEmpty else {
                    problems.append(Problem("MissingRequiredField", "The summary field is required.", field: "summary"))
                    continue
                }
                guard summary.count <= 100 else {
                    problems.append(
                        Problem("MaxLengthField", "The field summary must be a string with a maximum length of 100.", field: "summary"))
                    continue
                }
                ticket.summary = summary
            default:
                problems.append(Problem("InvalidField", "The field \(operation.path) cannot be changed here.", field: operation.path))
            }
        }
        guard problems.isEmpty else { return Self.invalid("ticket", problems) }
        ticket.updated = Date()
        state.tickets[id] = ticket
        state.writes += 1
        return .json(200, render(ticket))
    }

    func addNote(_ id: Int, _ request: PSARequest, _ state: inout State) -> PSAResponse {
        guard var ticket = state.tickets[id] else { return Self.missing("Ticket", id) }
        guard let body = request.json as? [String: Any] else { return Self.invalid("serviceNote", [Self.bodyRequired]) }
        let text = (body["text"] as? String) ?? ""
        let detail = body["detailDescriptionFlag"] as? Bool ?? false
        let internalAnalysis = body["internalAnalysisFlag"] as? Bool ?? false
        let resolution = body["resolutionFlag"] as? Bool ?? false
        var problems: [Problem] = []
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(Problem("MissingRequiredField", "The text field is required.", field: "text"))
        }
        if !detail && !internalAnalysis && !resolution {
            problems.append(
                Problem(
                    "MissingRequiredField", "Please choose where to display the notes in order to save this record.",
                    field: "detailDescriptionFlag"))
        }
        guard problems.isEmpty else { return Self.invalid("serviceNote", problems) }
        let note = Note(
            id: state.nextNote, text: text, detail: detail, internalAnalysis: internalAnalysis, resolution: resolution,
            created: Date(), createdBy: Self.apiMember)
        state.nextNote += 1
        ticket.notes.append(note)
        ticket.updated = note.created
        state.tickets[id] = ticket
        state.writes += 1
        return .json(201, render(note, ticket: id))
    }

    func addTimeEntry(_ request: PSARequest, _ state: inout State) -> PSAResponse {
        guard let body = request.json as? [String: Any] else { return Self.invalid("timeEntry", [Self.bodyRequired]) }
        var problems: [Problem] = []
        func date(_ field: String, required: Bool) -> Date? {
            guard let text = body[field] as? String else {
                if required { problems.append(Problem("MissingRequiredField", "The \(field) field is required.", field: field)) }
                return nil
            }
            guard let date = Self.parseStamp(text) else {
                problems.append(
                    Problem("InvalidField", "\(field) must be a date in the form yyyy-MM-ddTHH:mm:ssZ.", field: field))
                return nil
            }
            return date
        }
        let start = date("timeStart", required: true)
        let end = date("timeEnd", required: false)
        let member = body["member"] as? [String: Any]
        let memberName = (member?["identifier"] as? String) ?? Self.integer(member?["id"]).map { "member-\($0)" }
        if memberName?.isEmpty ?? true {
            problems.append(Problem("MissingRequiredField", "The member field is required.", field: "member"))
        }
        let chargeTo = Self.integer(body["chargeToId"])
        let chargeType = body["chargeToType"] as? String
        if chargeTo == nil {
            // ConnectWise would charge the company instead; the simulator only models time on tickets.
            problems.append(Problem("MissingRequiredField", "The chargeToId field is required.", field: "chargeToId"))
        } else if chargeType != "ServiceTicket" {
            problems.append(
                Problem("InvalidField", "chargeToType must be ServiceTicket for a service ticket.", field: "chargeToType"))
        } else if let chargeTo, state.tickets[chargeTo] == nil {
            problems.append(Problem("NotFound", "Service Ticket \(chargeTo) not found", field: "chargeToId"))
        }
        if let start, let end, end <= start {
            problems.append(Problem("InvalidField", "timeEnd must be after timeStart.", field: "timeEnd"))
        }
        guard problems.isEmpty, let start, let chargeTo, let memberName, let ticket = state.tickets[chargeTo] else {
            return Self.invalid("timeEntry", problems)
        }
        let entry = TimeEntry(
            id: state.nextTimeEntry, ticketId: chargeTo, member: memberName, start: start, end: end ?? start.addingTimeInterval(900),
            notes: body["notes"] as? String ?? "")
        state.nextTimeEntry += 1
        state.timeEntries.append(entry)
        state.writes += 1
        let answer: [String: Any] = [
            "id": entry.id, "chargeToId": chargeTo, "chargeToType": "ServiceTicket",
            "company": ["id": company.id, "identifier": company.identifier, "name": company.name],
            "member": ["identifier": entry.member], "ticket": ["id": ticket.id, "summary": ticket.summary],
            "timeStart": Self.stamp(entry.start), "timeEnd": Self.stamp(entry.end),
            "actualHours": entry.end.timeIntervalSince(entry.start) / 3600, "notes": entry.notes, "billableOption": "Billable",
            "status": "Open", "_info": ["lastUpdated": Self.stamp(Date()), "updatedBy": Self.apiMember],
        ]
        return .json(201, answer)
    }

    func patchContact(_ id: Int, _ request: PSARequest, _ state: inout State) -> PSAResponse {
        guard let index = state.contacts.firstIndex(where: { $0.id == id }) else { return Self.missing("Contact", id) }
        guard let operations = Self.patchOperations(request) else { return Self.patchRequired() }
        var contact = state.contacts[index]
        var problems: [Problem] = []
        for operation in operations {
            if operation.path == "inactiveFlag", let flag = operation.value as? Bool {
                contact.inactive = flag
            } else {
                problems.append(Problem("InvalidField", "The field \(operation.path) cannot be changed here.", field: operation.path))
            }
        }
        guard problems.isEmpty else { return Self.invalid("contact", problems) }
        state.contacts[index] = contact
        state.writes += 1
        return .json(200, render(contact))
    }

    func addDocument(_ request: PSARequest, _ state: inout State) -> PSAResponse {
        let contentType = request.header("Content-Type") ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            return Self.error(
                415, "UnsupportedMediaType",
                "The request entity's media type '\(contentType)' is not supported for this resource.")
        }
        guard let parts = Multipart.parts(of: request.body, contentType: contentType) else {
            return Self.invalid("document", [Problem("InvalidObject", "The multipart body could not be read.", field: "file")])
        }
        func field(_ name: String) -> String? {
            parts.first { $0.name.caseInsensitiveCompare(name) == .orderedSame && $0.fileName == nil }
                .map { String(decoding: $0.data, as: UTF8.self) }
        }
        var problems: [Problem] = []
        let recordType = field("recordType")
        let recordId = field("recordId").flatMap { Int($0) }
        let file = parts.first { $0.name.caseInsensitiveCompare("file") == .orderedSame && $0.fileName != nil }
        if recordType == nil { problems.append(Problem("MissingRequiredField", "The recordType field is required.", field: "recordType")) }
        if let recordType, recordType.caseInsensitiveCompare("Ticket") != .orderedSame {
            problems.append(Problem("InvalidField", "The simulator keeps documents on tickets only.", field: "recordType"))
        }
        if recordId == nil { problems.append(Problem("MissingRequiredField", "The recordId field is required.", field: "recordId")) }
        if let recordId, state.tickets[recordId] == nil {
            problems.append(Problem("NotFound", "Ticket \(recordId) not found", field: "recordId"))
        }
        if file == nil { problems.append(Problem("MissingRequiredField", "The file field is required.", field: "file")) }
        guard problems.isEmpty, let recordId, let file, let fileName = file.fileName else { return Self.invalid("document", problems) }
        let document = Document(
            id: state.nextDocument, ticketId: recordId, title: field("title").flatMap { $0.isEmpty ? nil : $0 } ?? fileName,
            fileName: fileName, data: file.data, privateFlag: field("privateFlag")?.lowercased() == "true", created: Date())
        state.nextDocument += 1
        state.documents.append(document)
        state.writes += 1
        return .json(201, render(document))
    }

    // MARK: - Records as ConnectWise renders them

    func render(_ ticket: Ticket) -> [String: Any] {
        let status = statuses.first { $0.id == ticket.statusId }
        let contact: Any = ticket.contactId.map { ["id": $0, "name": ticket.contactName] as [String: Any] } ?? NSNull()
        return [
            "id": ticket.id, "summary": ticket.summary, "recordType": "ServiceTicket",
            "board": ["id": board.id, "name": board.name],
            "status": ["id": ticket.statusId, "name": status?.name ?? ""],
            "company": ["id": company.id, "identifier": company.identifier, "name": company.name],
            "contact": contact, "contactName": ticket.contactName, "contactEmailAddress": ticket.contactEmail,
            "closedFlag": status?.closed ?? false, "closedDate": Self.orNull(ticket.closedDate.map(Self.stamp)),
            "customFields": ticket.customFields.map {
                [
                    "id": $0.id, "caption": $0.caption, "type": "Text", "entryMethod": "EntryField", "numberOfDecimals": 0,
                    "value": Self.orNull($0.value),
                ] as [String: Any]
            },
            "_info": [
                "lastUpdated": Self.stamp(ticket.updated), "updatedBy": Self.apiMember, "dateEntered": Self.stamp(ticket.entered),
                "enteredBy": "Email Connector",
            ],
        ]
    }

    func render(_ note: Note, ticket: Int) -> [String: Any] {
        [
            "id": note.id, "ticketId": ticket, "text": note.text, "detailDescriptionFlag": note.detail,
            "internalAnalysisFlag": note.internalAnalysis, "resolutionFlag": note.resolution, "issueFlag": false,
            "internalFlag": note.internalAnalysis, "externalFlag": note.detail || note.resolution,
            "member": ["identifier": note.createdBy], "contact": NSNull(), "customerUpdatedFlag": false,
            "dateCreated": Self.stamp(note.created), "createdBy": note.createdBy,
            "_info": ["lastUpdated": Self.stamp(note.created), "updatedBy": note.createdBy],
        ]
    }

    func render(_ contact: Contact) -> [String: Any] {
        [
            "id": contact.id, "firstName": contact.firstName, "lastName": contact.lastName, "inactiveFlag": contact.inactive,
            "company": ["id": company.id, "identifier": company.identifier, "name": company.name], "defaultFlag": false,
            "communicationItems": [
                [
                    "id": contact.id * 10, "type": ["id": 1, "name": "Email"], "value": contact.email, "defaultFlag": true,
                    "communicationType": "Email",
                ] as [String: Any]
            ],
            "_info": ["lastUpdated": Self.stamp(Date()), "updatedBy": Self.apiMember],
        ]
    }

    func render(_ document: Document) -> [String: Any] {
        [
            "id": document.id, "title": document.title, "fileName": document.fileName,
            "serverFileName": "\(document.id)-\(document.fileName)", "owner": Self.apiMember, "linkFlag": false,
            "imageFlag": false, "publicFlag": !document.privateFlag, "htmlTemplateFlag": false, "readOnlyFlag": false,
            "size": document.data.count, "urlFlag": false, "createdOnDate": Self.stamp(document.created),
            "_info": ["lastUpdated": Self.stamp(document.created), "updatedBy": Self.apiMember],
        ]
    }

    // MARK: - Lists: conditions, order, pages

    func list(_ records: [[String: Any]], _ request: PSARequest) -> PSAResponse {
        var rows = records
        do throws(ConditionError) {
            if let text = request.parameter("conditions"), !text.isEmpty {
                let condition = try Conditions.parse(text)
                var kept: [[String: Any]] = []
                for row in rows where try Conditions.holds(condition, on: row) { kept.append(row) }
                rows = kept
            }
            if let text = request.parameter("childConditions"), !text.isEmpty {
                let condition = try Conditions.parse(text)
                var kept: [[String: Any]] = []
                for row in rows where try Conditions.holdsForAChild(condition, on: row) { kept.append(row) }
                rows = kept
            }
            if let text = request.parameter("orderBy"), !text.isEmpty { rows = try Conditions.sorted(rows, by: text) }
        } catch {
            return Self.error(400, "ApiFindCondition", error.message)
        }
        guard let size = Self.positive(request.parameter("pageSize"), default: 25),
            let page = Self.positive(request.parameter("page"), default: 1)
        else { return Self.error(400, "InvalidObject", "page and pageSize must be whole numbers of at least 1.") }
        let pageSize = min(size, Self.largestPage)
        let lastPage = max(1, (rows.count + pageSize - 1) / pageSize)
        let slice = Array(rows.dropFirst((page - 1) * pageSize).prefix(pageSize))
        var links: [String] = []
        func link(_ number: Int, _ relation: String) {
            links.append("<\(Self.url(of: request, page: number, pageSize: pageSize))>; rel=\"\(relation)\"")
        }
        if page > 1 {
            link(1, "first")
            link(min(page - 1, lastPage), "prev")
        }
        if page < lastPage { link(page + 1, "next") }
        link(lastPage, "last")
        return .json(200, slice, headers: [("Link", links.joined(separator: ", "))])
    }

    static func url(of request: PSARequest, page: Int, pageSize: Int) -> String {
        var query = request.query
        for name in query.keys where ["page", "pagesize"].contains(name.lowercased()) { query[name] = nil }
        query["page"] = String(page)
        query["pageSize"] = String(pageSize)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        let text = query.sorted { $0.key < $1.key }.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        return "http://\(request.header("Host") ?? "127.0.0.1")\(request.path)?\(text.joined(separator: "&"))"
    }

    // MARK: - Answers

    struct Problem {
        var code: String
        var message: String
        var field: String

        init(_ code: String, _ message: String, field: String) {
            self.code = code
            self.message = message
            self.field = field
        }
    }

    static let bodyRequired = Problem("InvalidObject", "A JSON object is required in the request body.", field: "body")

    static func error(_ status: Int, _ code: String, _ message: String) -> PSAResponse {
        .json(status, ["code": code, "message": message, "errors": NSNull()])
    }

    /// ConnectWise's answer to content it refuses: one `InvalidObject`, each problem named by field.
    static func invalid(_ resource: String, _ problems: [Problem]) -> PSAResponse {
        .json(
            400,
            [
                "code": "InvalidObject", "message": "\(resource) object is invalid",
                "errors": problems.map { ["code": $0.code, "message": $0.message, "resource": resource, "field": $0.field] },
            ])
    }

    static func missing(_ kind: String, _ id: Int) -> PSAResponse { error(404, "NotFound", "\(kind) ID \(id) was not found.") }
    static func notFound() -> PSAResponse { error(404, "NotFound", "The requested resource was not found.") }
    static func patchRequired() -> PSAResponse {
        error(400, "InvalidObject", "A list of patch operations ([{\"op\",\"path\",\"value\"}]) is required.")
    }

    /// JSON Patch operations; ConnectWise takes `add`/`replace` with a bare field name as the path.
    static func patchOperations(_ request: PSARequest) -> [(path: String, value: Any)]? {
        guard let list = request.json as? [[String: Any]], !list.isEmpty else { return nil }
        var operations: [(path: String, value: Any)] = []
        for item in list {
            guard let op = (item["op"] as? String)?.lowercased(), ["add", "replace"].contains(op),
                let path = item["path"] as? String
            else { return nil }
            operations.append((path: path.hasPrefix("/") ? String(path.dropFirst()) : path, value: item["value"] ?? NSNull()))
        }
        return operations
    }

    static func integer(_ value: Any?) -> Int? {
        if let number = value as? Int { return number }
        if let text = value as? String { return Int(text) }
        return nil
    }

    static func positive(_ text: String?, default value: Int) -> Int? {
        guard let text else { return value }
        guard let number = Int(text), number >= 1 else { return nil }
        return number
    }

    static func orNull(_ text: String?) -> Any { text.map { $0 as Any } ?? NSNull() }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// ConnectWise's own form only: whole seconds, `Z` or an offset.
    static func parseStamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension PSARequest {
    /// ConnectWise reads query parameter names without regard to case (`childconditions` works).
    fileprivate func parameter(_ name: String) -> String? {
        query.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

// MARK: - Conditions

struct ConditionError: Error {
    var message: String
}

/// The `conditions` language over records as the API renders them: a path names nested fields
/// (`board/id`); names are not case sensitive; text compares without regard to case, as SQL Server does.
enum Conditions {
    indirect enum Condition {
        case all([Condition])
        case any([Condition])
        case not(Condition)
        case compare(path: [String], op: String, values: [Literal])
    }

    enum Literal {
        case text(String)
        case number(Double)
        case flag(Bool)
        case null
    }

    enum Token: Equatable {
        case word(String)
        case text(String)
        case number(Double)
        case symbol(String)
    }

    static func parse(_ text: String) throws(ConditionError) -> Condition {
        var parser = Parser(tokens: try tokens(of: text), source: text)
        let condition = try parser.expression()
        guard parser.index == parser.tokens.count else { throw parser.unexpected() }
        return condition
    }

    static func tokens(of text: String) throws(ConditionError) -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character == "\"" || character == "'" || character == "[" {
                let close: Character = character == "[" ? "]" : character
                guard let end = characters[(index + 1)...].firstIndex(of: close) else {
                    throw ConditionError(message: "An unterminated value starts at position \(index + 1).")
                }
                tokens.append(.text(String(characters[(index + 1)..<end])))
                index = end + 1
            } else if "=!<>".contains(character) {
                let pair = index + 1 < characters.count ? String([character, characters[index + 1]]) : String(character)
                let symbol = ["!=", "<=", ">="].contains(pair) ? pair : String(character)
                guard symbol != "!" else { throw ConditionError(message: "Unexpected '!' at position \(index + 1).") }
                tokens.append(.symbol(symbol))
                index += symbol.count
            } else if "(),".contains(character) {
                tokens.append(.symbol(String(character)))
                index += 1
            } else if character.isNumber || (character == "-" && index + 1 < characters.count && characters[index + 1].isNumber) {
                var end = index + 1
                while end < characters.count, characters[end].isNumber || characters[end] == "." { end += 1 }
                guard let number = Double(String(characters[index..<end])) else {
                    throw ConditionError(message: "\(String(characters[index..<end])) is not a number.")
                }
                tokens.append(.number(number))
                index = end
            } else if character.isLetter || character == "_" {
                var end = index + 1
                while end < characters.count, characters[end].isLetter || characters[end].isNumber || "_/.".contains(characters[end]) {
                    end += 1
                }
                tokens.append(.word(String(characters[index..<end])))
                index = end
            } else {
                throw ConditionError(message: "Unexpected '\(character)' at position \(index + 1).")
            }
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var source: String
        var index = 0

        func keyword(_ name: String) -> Bool {
            guard index < tokens.count, case .word(let word) = tokens[index] else { return false }
            return word.caseInsensitiveCompare(name) == .orderedSame
        }

        func symbol(_ name: String) -> Bool { index < tokens.count && tokens[index] == .symbol(name) }

        func unexpected() -> ConditionError {
            var near = "the end"
            if index < tokens.count {
                switch tokens[index] {
                case .word(let word), .symbol(let word): near = "'\(word)'"
                case .text(let text): near = "\"\(text)\""
                case .number(let number): near = "\(number)"
                }
            }
            return ConditionError(message: "The conditions \"\(source)\" could not be read near \(near).")
        }

        mutating func expression() throws(ConditionError) -> Condition {
            var terms = [try term()]
            while keyword("or") {
                index += 1
                terms.append(try term())
            }
            return terms.count == 1 ? terms[0] : .any(terms)
        }

        mutating func term() throws(ConditionError) -> Condition {
            var factors = [try factor()]
            while keyword("and") {
                index += 1
                factors.append(try factor())
            }
            return factors.count == 1 ? factors[0] : .all(factors)
        }

        mutating func factor() throws(ConditionError) -> Condition {
            if symbol("(") {
                index += 1
                let inner = try expression()
                guard symbol(")") else { throw unexpected() }
                index += 1
                return inner
            }
            guard index < tokens.count, case .word(let name) = tokens[index] else { throw unexpected() }
            index += 1
            let path = name.split(separator: "/").map(String.init)
            var negated = false
            if keyword("not") {
                negated = true
                index += 1
            }
            let comparison: Condition
            if index < tokens.count, case .symbol(let op) = tokens[index], ["=", "!=", "<", "<=", ">", ">="].contains(op) {
                index += 1
                comparison = .compare(path: path, op: op, values: [try literal()])
            } else if keyword("contains") || keyword("like") {
                let op = keyword("contains") ? "contains" : "like"
                index += 1
                comparison = .compare(path: path, op: op, values: [try literal()])
            } else if keyword("in") {
                index += 1
                guard symbol("(") else { throw unexpected() }
                index += 1
                var values = [try literal()]
                while symbol(",") {
                    index += 1
                    values.append(try literal())
                }
                guard symbol(")") else { throw unexpected() }
                index += 1
                comparison = .compare(path: path, op: "in", values: values)
            } else {
                throw unexpected()
            }
            return negated ? .not(comparison) : comparison
        }

        mutating func literal() throws(ConditionError) -> Literal {
            guard index < tokens.count else { throw unexpected() }
            defer { index += 1 }
            switch tokens[index] {
            case .text(let text): return .text(text)
            case .number(let number): return .number(number)
            case .word(let word) where word.lowercased() == "true": return .flag(true)
            case .word(let word) where word.lowercased() == "false": return .flag(false)
            case .word(let word) where word.lowercased() == "null": return .null
            default: throw unexpected()
            }
        }
    }

    static func holds(_ condition: Condition, on record: [String: Any]) throws(ConditionError) -> Bool {
        switch condition {
        case .all(let parts):
            for part in parts where !(try holds(part, on: record)) { return false }
            return true
        case .any(let parts):
            for part in parts where try holds(part, on: record) { return true }
            return false
        case .not(let part):
            return !(try holds(part, on: record))
        case .compare(let path, let op, let values):
            let value = try resolve(path, in: record)
            return values.contains { compare(value, op, $0) }
        }
    }

    /// `childConditions` hold when one element of the array they name (`communicationItems`) meets them all.
    static func holdsForAChild(_ condition: Condition, on record: [String: Any]) throws(ConditionError) -> Bool {
        guard let head = firstPath(condition)?.first else { return true }
        guard let field = record.first(where: { $0.key.caseInsensitiveCompare(head) == .orderedSame }),
            let children = field.value as? [[String: Any]]
        else { throw ConditionError(message: "\(head) is not a recognized name.") }
        for child in children {
            var view = record
            view[field.key] = child
            if try holds(condition, on: view) { return true }
        }
        return false
    }

    static func firstPath(_ condition: Condition) -> [String]? {
        switch condition {
        case .all(let parts), .any(let parts): return parts.lazy.compactMap(firstPath).first
        case .not(let part): return firstPath(part)
        case .compare(let path, _, _): return path
        }
    }

    static func resolve(_ path: [String], in record: [String: Any]) throws(ConditionError) -> Any {
        let unknown = ConditionError(message: "\(path.joined(separator: "/")) is not a recognized name.")
        var current: Any = record
        for name in path {
            if current is NSNull { return NSNull() }
            guard let object = current as? [String: Any],
                let field = object.first(where: { $0.key.caseInsensitiveCompare(name) == .orderedSame })
            else { throw unknown }
            current = field.value
        }
        // A reference or a list is not a value: ConnectWise wants `board/id`, and lists in childConditions.
        if current is [String: Any] || current is [Any] { throw unknown }
        return current
    }

    enum Scalar {
        case text(String)
        case number(Double)
        case flag(Bool)
        case null
    }

    /// Records are built here from Swift values, so a flag is a `Bool` and never a number.
    static func scalar(_ value: Any) -> Scalar {
        if let text = value as? String { return .text(text) }
        if type(of: value) == Bool.self, let flag = value as? Bool { return .flag(flag) }
        if let number = value as? Int { return .number(Double(number)) }
        if let number = value as? Double { return .number(number) }
        return .null
    }

    static func scalar(_ literal: Literal) -> Scalar {
        switch literal {
        case .text(let text): .text(text)
        case .number(let number): .number(number)
        case .flag(let flag): .flag(flag)
        case .null: .null
        }
    }

    static func compare(_ value: Any, _ op: String, _ literal: Literal) -> Bool {
        let left = scalar(value)
        let right = scalar(literal)
        switch op {
        case "=", "in": return equal(left, right)
        case "!=": return !equal(left, right)
        case "contains":
            guard case .text(let text) = left, case .text(let part) = right else { return false }
            return text.range(of: part, options: .caseInsensitive) != nil
        case "like":
            guard case .text(let text) = left, case .text(let pattern) = right else { return false }
            return wildcard(text, pattern)
        default:
            guard let ordering = order(left, right) else { return false }
            switch op {
            case "<": return ordering == .orderedAscending
            case "<=": return ordering != .orderedDescending
            case ">": return ordering == .orderedDescending
            default: return ordering != .orderedAscending
            }
        }
    }

    static func equal(_ left: Scalar, _ right: Scalar) -> Bool {
        switch (left, right) {
        case (.null, .null): return true
        case (.text(let text), .text(let pattern)):
            return pattern.contains("*") ? wildcard(text, pattern) : text.caseInsensitiveCompare(pattern) == .orderedSame
        case (.number(let a), .number(let b)): return a == b
        case (.flag(let a), .flag(let b)): return a == b
        default: return false
        }
    }

    static func order(_ left: Scalar, _ right: Scalar) -> ComparisonResult? {
        switch (left, right) {
        case (.number(let a), .number(let b)): return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case (.text(let a), .text(let b)): return a.caseInsensitiveCompare(b)
        default: return nil
        }
    }

    /// `like` takes `%` and `*` as "anything".
    static func wildcard(_ text: String, _ pattern: String) -> Bool {
        let expression = pattern.map { $0 == "%" || $0 == "*" ? ".*" : NSRegularExpression.escapedPattern(for: String($0)) }.joined()
        return text.range(of: "^\(expression)$", options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// `orderBy=id asc` (or several, comma separated); the records' own order breaks ties.
    static func sorted(_ records: [[String: Any]], by text: String) throws(ConditionError) -> [[String: Any]] {
        var keys: [(path: [String], descending: Bool)] = []
        for clause in text.split(separator: ",") {
            let words = clause.split(separator: " ").map(String.init)
            guard let name = words.first, words.count <= 2 else { throw ConditionError(message: "orderBy \"\(text)\" could not be read.") }
            let direction = words.count == 2 ? words[1].lowercased() : "asc"
            guard ["asc", "desc"].contains(direction) else { throw ConditionError(message: "orderBy \"\(text)\" could not be read.") }
            keys.append((path: name.split(separator: "/").map(String.init), descending: direction == "desc"))
        }
        var rows: [(values: [Scalar], record: [String: Any], position: Int)] = []
        for (position, record) in records.enumerated() {
            var values: [Scalar] = []
            for key in keys { values.append(scalar(try resolve(key.path, in: record))) }
            rows.append((values: values, record: record, position: position))
        }
        rows.sort { a, b in
            for (index, key) in keys.enumerated() {
                let ordering = order(a.values[index], b.values[index]) ?? .orderedSame
                if ordering != .orderedSame { return (ordering == .orderedAscending) != key.descending }
            }
            return a.position < b.position
        }
        return rows.map(\.record)
    }
}

// MARK: - multipart/form-data

/// Just enough of RFC 7578 to read what `POST system/documents` gets: named parts, a file part's name, raw bytes.
enum Multipart {
    struct Part {
        var name: String
        var fileName: String?
        var data: Data
    }

    static func parts(of body: Data, contentType: String) -> [Part]? {
        guard let boundary = parameters(contentType)["boundary"], !boundary.isEmpty else { return nil }
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        let lineEnd: [UInt8] = [13, 10]
        guard var cursor = find(delimiter, in: bytes, from: 0) else { return nil }
        var parts: [Part] = []
        while true {
            cursor += delimiter.count
            if cursor + 1 < bytes.count, bytes[cursor] == 45, bytes[cursor + 1] == 45 { return parts }
            guard cursor + 1 < bytes.count, bytes[cursor] == 13, bytes[cursor + 1] == 10,
                let headerEnd = find(lineEnd + lineEnd, in: bytes, from: cursor + 2)
            else { return nil }
            let headers = String(decoding: bytes[(cursor + 2)..<headerEnd], as: UTF8.self)
            let start = headerEnd + 4
            guard let next = find(lineEnd + delimiter, in: bytes, from: start) else { return nil }
            var disposition: [String: String] = [:]
            for line in headers.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":"),
                    line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition"
                else { continue }
                disposition = parameters(String(line[line.index(after: colon)...]))
            }
            guard let name = disposition["name"] else { return nil }
            parts.append(Part(name: name, fileName: disposition["filename"], data: Data(bytes[start..<next])))
            cursor = next + 2
        }
    }

    /// `form-data; name="file"; filename="a;b.zip"` → `["name": "file", "filename": "a;b.zip"]` (names lowercased).
    static func parameters(_ header: String) -> [String: String] {
        var segments: [String] = []
        var current = ""
        var quoted = false
        for character in header {
            if character == "\"" { quoted.toggle() }
            if character == ";" && !quoted {
                segments.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        segments.append(current)
        var result: [String: String] = [:]
        for segment in segments {
            guard let equals = segment.firstIndex(of: "=") else { continue }
            let name = segment[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = segment[segment.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            result[name] = value
        }
        return result
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = pattern.first, start >= 0, bytes.count - pattern.count >= start else { return nil }
        var index = start
        while index <= bytes.count - pattern.count {
            if bytes[index] == first {
                var matched = 1
                while matched < pattern.count, bytes[index + matched] == pattern[matched] { matched += 1 }
                if matched == pattern.count { return index }
            }
            index += 1
        }
        return nil
    }
}
