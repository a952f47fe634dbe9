public import Foundation

/// A request as a PSA simulator sees it.
public struct PSARequest: Sendable {
    public var method: String
    /// Percent-decoded path, e.g. `/api/Tickets/12`.
    public var path: String
    /// Decoded query parameters (last value wins); names as sent.
    public var query: [String: String]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data

    public init(method: String, path: String, query: [String: String], headers: [String: String], body: Data) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as JSON, or nil when it is not JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }

    /// Path segments without empty ones: `/api/Tickets/12` → `["api", "Tickets", "12"]`.
    public var segments: [String] { path.split(separator: "/").map(String.init) }
}

public struct PSAResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer from `JSONSerialization`-compatible values.
    public static func json(_ status: Int, _ value: Any, headers: [(String, String)] = []) -> PSAResponse {
        let body = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
        return PSAResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: body)
    }

    public static func text(_ status: Int, _ text: String) -> PSAResponse {
        PSAResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(text.utf8))
    }
}

/// What every PSA simulator seeds: one client company with its contacts, an offboarding board or
/// queue, and the ticket statuses. Each simulator gives these its own ids, listed in `directory`.
public struct PSASeed: Sendable {
    public struct Contact: Sendable {
        public var firstName: String
        public var lastName: String
        public var email: String

        public init(firstName: String, lastName: String, email: String) {
            self.firstName = firstName
            self.lastName = lastName
            self.email = email
        }
    }

    public var companyName: String
    public var contacts: [Contact]
    /// Ticket status names in workflow order; the first is a new ticket's, the last is closed.
    public var statuses: [String]
    public var boardName: String

    public init(companyName: String, contacts: [Contact], statuses: [String], boardName: String) {
        self.companyName = companyName
        self.contacts = contacts
        self.statuses = statuses
        self.boardName = boardName
    }

    /// The client behind the M365 sandbox's `contoso` tenant.
    public static let contoso = PSASeed(
        companyName: "Contoso Ltd",
        contacts: [
            Contact(firstName: "Ben", lastName: "Carter", email: "ben.carter@contoso.com"),
            Contact(firstName: "Kate", lastName: "Lopez", email: "kate.lopez@contoso.com"),
            Contact(firstName: "Dan", lastName: "Morgan", email: "dan.morgan@contoso.com"),
        ],
        statuses: ["New", "In Progress", "Waiting Approval", "Resolved", "Closed"],
        boardName: "Offboarding")
}

/// The ids a simulator gave the seed, for a test's or an operator's mapping.
public struct PSADirectory: Sendable, Codable, Equatable {
    public var companyId: String
    public var boardId: String
    /// Status name → id.
    public var statuses: [String: String]
    /// Contact e-mail → id.
    public var contacts: [String: String]

    public init(companyId: String, boardId: String, statuses: [String: String], contacts: [String: String]) {
        self.companyId = companyId
        self.boardId = boardId
        self.statuses = statuses
        self.contacts = contacts
    }
}

/// A note as the simulator stored it.
public struct PSASimNote: Sendable, Equatable, Codable {
    /// The note's text as sent (HTML for Halo).
    public var text: String
    /// Hidden from the end user.
    public var isInternal: Bool
    public var title: String?

    public init(text: String, isInternal: Bool, title: String?) {
        self.text = text
        self.isInternal = isInternal
        self.title = title
    }
}

public struct PSASimTimeEntry: Sendable, Equatable, Codable {
    public var minutes: Double
    public var member: String?
    public var notes: String

    public init(minutes: Double, member: String?, notes: String) {
        self.minutes = minutes
        self.member = member
        self.notes = notes
    }
}

public struct PSASimAttachment: Sendable, Equatable, Codable {
    public var fileName: String
    public var data: Data

    public init(fileName: String, data: Data) {
        self.fileName = fileName
        self.data = data
    }
}

/// What a client needs to reach a simulator, in the terms of `PSAConnection` (PSAClients).
public struct PSASimConnection: Sendable, Equatable {
    public var url: String
    public var clientId: String
    public var account: String?
    public var username: String?
    public var secret: String

    public init(url: String, clientId: String, account: String?, username: String?, secret: String) {
        self.url = url
        self.clientId = clientId
        self.account = account
        self.username = username
        self.secret = secret
    }
}

/// One PSA's simulated API. Tests judge on the state these accessors read, never on Turnover's record.
public protocol PSASimulation: AnyObject, Sendable {
    /// Answers one request as the PSA would, auth and validation included.
    func handle(_ request: PSARequest) async -> PSAResponse

    /// The credentials a client signs in with, by the PSA's own names (e.g. `clientId`, `clientSecret`).
    var credentials: [String: String] { get }
    var directory: PSADirectory { get }
    /// The connection fields for a simulator served at `baseURL` (`http://127.0.0.1:PORT`), path prefix included.
    func connectionFields(baseURL: String) -> PSASimConnection

    /// Opens a ticket from the given contact on the seeded board, in the first status; returns its id.
    @discardableResult
    func openTicket(summary: String, details: String, contactEmail: String) -> String

    func notes(onTicket id: String) -> [PSASimNote]
    func timeEntries(onTicket id: String) -> [PSASimTimeEntry]
    /// The ticket's status id.
    func status(ofTicket id: String) -> String?
    /// Nil when no contact has the address.
    func contactIsActive(email: String) -> Bool?
    func attachments(onTicket id: String) -> [PSASimAttachment]
    /// Who a time entry can be for: a member the PSA knows (and, for Autotask, a role they hold).
    var technician: (member: String, role: String?) { get }
    /// The API credentials stop working, as when an admin rotates the key in the PSA.
    func revokeCredentials()
    /// Requests that changed something (a note, a status, a contact…) since the start.
    var writeCount: Int { get }
}
