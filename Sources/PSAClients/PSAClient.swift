public import Foundation

/// The PSAs Turnover talks to. The raw value is what a connection's `kind` says.
public enum PSAKind: String, Codable, Sendable, CaseIterable {
    case haloPSA = "halopsa"
    case connectWise = "connectwise"
    case autotask

    public var displayName: String {
        switch self {
        case .haloPSA: "HaloPSA"
        case .connectWise: "ConnectWise PSA"
        case .autotask: "Autotask"
        }
    }

    /// The largest file the PSA takes as an attachment, where it documents one (Autotask: 6 MB per file).
    public var attachmentLimit: Int? {
        switch self {
        case .autotask: 6_000_000
        case .haloPSA, .connectWise: nil
        }
    }
}

/// How to reach one PSA instance and sign in to it. The meaning of each field is the PSA's own:
///
/// | field | HaloPSA | ConnectWise PSA | Autotask |
/// |---|---|---|---|
/// | `url` | the instance, `https://x.halopsa.com` (API at `/api`, token at `/auth/token`) | `https://{site}/v4_6_release/apis/3.0` | `https://webservicesN.autotask.net/ATServicesRest/V1.0` |
/// | `clientId` | OAuth client id | the `clientId` header | `ApiIntegrationCode` header |
/// | `account` | the hosted `tenant` (optional) | company id (Basic user is `account+username`) | unused |
/// | `username` | unused | public key | `UserName` header (API user) |
/// | `secret` | OAuth client secret | private key | `Secret` header |
/// | `authURL` | token endpoint when not `{url}/auth/token` | unused | unused |
public struct PSAConnection: Codable, Sendable, Equatable {
    public var kind: PSAKind
    public var url: String
    public var clientId: String
    public var account: String?
    public var username: String?
    public var secret: String
    public var authURL: String?

    public init(
        kind: PSAKind, url: String, clientId: String, account: String? = nil, username: String? = nil, secret: String,
        authURL: String? = nil
    ) {
        self.kind = kind
        self.url = url
        self.clientId = clientId
        self.account = account
        self.username = username
        self.secret = secret
        self.authURL = authURL
    }
}

/// A ticket as Turnover reads it, whatever the PSA.
public struct PSATicket: Codable, Sendable, Equatable {
    public var id: String
    public var summary: String
    /// The description as plain text (HTML reduced to text).
    public var details: String
    /// The client company's id in the PSA (Halo `client_id`, ConnectWise `company.id`, Autotask `companyID`).
    public var company: String?
    /// The board, queue or ticket type the ticket is on (ConnectWise `board.id`, Autotask `queueID`, Halo `tickettype_id`).
    public var board: String?
    public var status: String?
    public var contactEmail: String?
    /// Custom / user-defined fields by their label, as text.
    public var fields: [String: String]
    public var createdAt: Date?

    public init(
        id: String, summary: String, details: String, company: String? = nil, board: String? = nil, status: String? = nil,
        contactEmail: String? = nil, fields: [String: String] = [:], createdAt: Date? = nil
    ) {
        self.id = id
        self.summary = summary
        self.details = details
        self.company = company
        self.board = board
        self.status = status
        self.contactEmail = contactEmail
        self.fields = fields
        self.createdAt = createdAt
    }
}

/// Which tickets a poll looks at: open tickets of one company on one board, in one of the statuses.
public struct PSAQueue: Codable, Sendable, Equatable {
    public var company: String?
    public var board: String?
    /// Status ids a new offboarding ticket has; empty means any status that is not closed.
    public var statuses: [String]

    public init(company: String?, board: String?, statuses: [String]) {
        self.company = company
        self.board = board
        self.statuses = statuses
    }
}

/// An internal note. `html` for PSAs that store HTML (Halo `note_html`), `text` for the others.
public struct PSANote: Codable, Sendable, Equatable {
    public var title: String
    public var text: String
    public var html: String

    public init(title: String, text: String, html: String) {
        self.title = title
        self.text = text
        self.html = html
    }
}

/// Time worked on the ticket.
public struct PSATimeEntry: Codable, Sendable, Equatable {
    public var start: Date
    public var end: Date
    public var summary: String
    /// Who the time is for: ConnectWise member identifier, Autotask resource id, Halo agent id.
    public var member: String?
    /// Autotask role id (required there); ignored elsewhere.
    public var role: String?

    public init(start: Date, end: Date, summary: String, member: String?, role: String? = nil) {
        self.start = start
        self.end = end
        self.summary = summary
        self.member = member
        self.role = role
    }
}

/// A PSA call that did not succeed, classified for the caller.
public struct PSAError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The credentials were refused (HTTP 401, or a token endpoint's `invalid_client`).
        case unauthorized
        /// Signed in but not allowed (HTTP 403).
        case forbidden
        case notFound
        /// The PSA refused the content (a missing required field, a bad value).
        case invalid
        /// HTTP 429.
        case throttled
        /// HTTP 5xx other than a validation answer, or a timeout.
        case unavailable
        /// The request never reached the PSA (the connection was refused, the name did not resolve, the
        /// connection could not be made in time): nothing can have changed there.
        case notSent
        /// The connection failed after the request may have been sent: the PSA may or may not have acted on it.
        case transport
        /// An answer Turnover could not read.
        case unexpected
    }

    public var kind: Kind
    public var status: Int?
    /// The PSA's own words where it gave any.
    public var message: String

    public init(_ kind: Kind, status: Int? = nil, _ message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    /// Whether trying again later may succeed.
    public var isTransient: Bool { [.throttled, .unavailable, .transport, .notSent].contains(kind) }

    /// Whether the PSA certainly did not act on the request: it refused it before doing anything, or never
    /// got it. Only then is a write that creates something (a note, a time entry, a file) safe to send again.
    public var leftNothing: Bool {
        [.notSent, .throttled, .unauthorized, .forbidden, .notFound, .invalid].contains(kind) || status == 503
    }

    public var description: String {
        let code = status.map { " (HTTP \($0))" } ?? ""
        return "\(kind.rawValue)\(code): \(message)"
    }
}

/// Everything Turnover does with a PSA, as closures over one signed-in connection (house style:
/// structs of closures for external effects). Each PSA's file builds one.
public struct PSAClient: Sendable {
    public var kind: PSAKind
    /// Signs in and reads something cheap; returns what it signed in as, for the operator.
    public var verify: @Sendable () async throws(PSAError) -> String
    public var ticket: @Sendable (_ id: String) async throws(PSAError) -> PSATicket
    /// Open tickets on the queue, oldest first.
    public var openTickets: @Sendable (_ queue: PSAQueue) async throws(PSAError) -> [PSATicket]
    /// Adds an internal note (hidden from the end user); returns the PSA's id for it.
    public var addNote: @Sendable (_ ticket: String, _ note: PSANote) async throws(PSAError) -> String
    /// Records time on the ticket; returns the PSA's id for the entry.
    public var addTime: @Sendable (_ ticket: String, _ entry: PSATimeEntry) async throws(PSAError) -> String
    /// Sets the ticket's status to the status id.
    public var setStatus: @Sendable (_ ticket: String, _ status: String) async throws(PSAError) -> Void
    /// Makes the contact of the company (the tenant's client) with this e-mail address inactive;
    /// returns its id, or nil when the company has none. A namesake at another client is never touched.
    public var deactivateContact: @Sendable (_ email: String, _ company: String) async throws(PSAError) -> String?
    /// Attaches a file to the ticket; returns the PSA's id for the attachment.
    public var attach: @Sendable (_ ticket: String, _ fileName: String, _ data: Data) async throws(PSAError) -> String

    public init(
        kind: PSAKind, verify: @escaping @Sendable () async throws(PSAError) -> String,
        ticket: @escaping @Sendable (String) async throws(PSAError) -> PSATicket,
        openTickets: @escaping @Sendable (PSAQueue) async throws(PSAError) -> [PSATicket],
        addNote: @escaping @Sendable (String, PSANote) async throws(PSAError) -> String,
        addTime: @escaping @Sendable (String, PSATimeEntry) async throws(PSAError) -> String,
        setStatus: @escaping @Sendable (String, String) async throws(PSAError) -> Void,
        deactivateContact: @escaping @Sendable (String, String) async throws(PSAError) -> String?,
        attach: @escaping @Sendable (String, String, Data) async throws(PSAError) -> String
    ) {
        self.kind = kind
        self.verify = verify
        self.ticket = ticket
        self.openTickets = openTickets
        self.addNote = addNote
        self.addTime = addTime
        self.setStatus = setStatus
        self.deactivateContact = deactivateContact
        self.attach = attach
    }
}
