import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MicrosoftGraph
import NIOCore
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// The web console that `turnover serve` serves at `/`: server-rendered pages over the same
/// handlers, access rules and tenant scope as the REST API. Every page names the API operation it
/// stands for, and ``AccessRules`` decides who may open it, so a page can never do more than its
/// operation can. State changes only by POST, and every POST carries the session's CSRF token.
struct Console: Sendable {
    let api: APIHandler
    let templates: ConsoleTemplates
    /// Reached over https (`--public-url https://…`): cookies are marked Secure.
    let secure: Bool
    let logger: Logger

    var accounts: OperatorAccounts { api.accounts }
    var desk: OffboardingDesk { api.desk }
    var store: any TurnoverStore { api.desk.store }
    var secrets: SecretBox { api.desk.clients.workspace.secrets }

    /// One signed-in request, as a page handler sees it.
    struct Visit: Sendable {
        var request: Request
        var parameters: Parameters
        var session: BrowserSession
        /// The form of a POST (its CSRF token already checked), else empty.
        var form: FormFields
        var query: FormFields
        var principal: Principal { session.principal }

        func parameter(_ name: String) -> String { parameters.get(name) ?? "" }

        func may(_ operation: String) -> Bool { (try? AccessRules.check(principal, operation: operation)) != nil }
    }

    /// What a page handler answers.
    enum Answer {
        /// A template and the values it shows, with the page's title.
        case page(String, title: String, Any, status: HTTPResponse.Status = .ok)
        /// See another page (303), as after every successful POST.
        case redirect(String)
        case response(Response)
    }

    typealias Handler = @Sendable (Console, Visit) async throws -> Answer

    func register(on router: Router<BasicRequestContext>) {
        let assets = templates.assets
        for (name, asset) in assets {
            router.get(RouterPath("/assets/\(name)")) { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=86400"],
                    body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
            }
        }
        SignInPages.register(self, on: router)
        add(router, .get, "/", operation: "listOffboardings", DashboardPage.show)
        TenantPages.register(self, on: router)
        WizardPages.register(self, on: router)
        TicketPage.register(self, on: router)
        OffboardingPages.register(self, on: router)
        AdminPages.register(self, on: router)
    }

    /// Adds a page that needs a signed-in operator allowed `operation`.
    func add(
        _ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: String, operation: String, _ handler: @escaping Handler
    ) {
        let console = self
        router.on(RouterPath(path), method: method) { request, context -> Response in
            try await console.serve(request, parameters: context.parameters, operation: operation, handler)
        }
    }

    func serve(_ request: Request, parameters: Parameters, operation: String, _ handler: Handler) async throws -> Response {
        let started = ContinuousClock.now
        let meter = MicrosoftWaitMeter()
        var session: BrowserSession?
        var response: Response
        do {
            guard let current = try await BrowserSession.current(request, accounts: accounts) else {
                return Self.toSignIn(request)
            }
            session = current
            try AccessRules.check(current.principal, operation: operation)
            var form = FormFields()
            if request.method == .post {
                form = try await FormFields.read(request)
                guard current.accepts(csrfToken: form["csrf"]) else { throw BrowserSession.csrfRefusal }
            }
            let visit = Visit(
                request: request, parameters: parameters, session: current, form: form,
                query: FormFields(query: request.uri.query ?? ""))
            let answer = try await MicrosoftWaitMeter.$current.withValue(meter) {
                try await Principal.$current.withValue(current.principal) { try await handler(self, visit) }
            }
            response = render(answer, session: current, path: request.uri.path)
        } catch {
            response = errorPage(error, session: session, path: request.uri.path)
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        // Server-Timing lets the page bench (and a browser's developer tools) read the server's time,
        // and how much of it was spent waiting on Microsoft 365.
        response.headers[HTTPField.Name("Server-Timing")!] =
            "app;dur=\(String(format: "%.2f", milliseconds)), microsoft;dur=\(String(format: "%.2f", meter.milliseconds))"
        return response
    }

    /// A visitor who is not signed in goes to the sign-in page, which brings them back after.
    static func toSignIn(_ request: Request) -> Response {
        var next = request.uri.path
        if request.method == .get, let query = request.uri.query, !query.isEmpty { next += "?" + query }
        if request.method != .get { next = "/" }
        return .redirect(to: "/signin?next=" + FormFields.escape(next), type: .normal)
    }

    func render(_ answer: Answer, session: BrowserSession?, path: String) -> Response {
        switch answer {
        case .redirect(let location): return .redirect(to: location, type: .normal)
        case .response(let response): return response
        case .page(let template, let title, let values, let status):
            return html(templates.render(template, title: title, page: values, shell: shell(session, path: path)), status: status)
        }
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A failure as a page that says, in a sentence, what happened and what to do.
    func errorPage(_ error: any Error, session: BrowserSession?, path: String) -> Response {
        let problem = APIMiddleware.problem(for: error)
        if problem.status == 401 && session == nil { return .redirect(to: "/signin", type: .normal) }
        if problem.status >= 500 {
            logger.error("console page failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        let heading: String
        switch problem.status {
        case 403: heading = "You cannot do this"
        case 404: heading = "Not found"
        case 409: heading = "This changed meanwhile"
        case 500...: heading = "Something failed"
        default: heading = "This could not be done"
        }
        let values = ErrorView(heading: heading, detail: problem.detail, status: problem.status)
        return html(
            templates.render("error", title: heading, page: values, shell: shell(session, path: path)),
            status: HTTPResponse.Status(code: problem.status))
    }

    struct ErrorView {
        var heading: String
        var detail: String
        var status: Int
    }

    /// What every page's frame shows: who is signed in, the links their roles open, the CSRF token.
    func shell(_ session: BrowserSession?, path: String) -> Shell {
        guard let session else { return Shell(assetVersion: templates.assetVersion) }
        let links: [(String, String, String)] = [
            ("Dashboard", "/", "listOffboardings"),
            ("Offboard", "/offboard", "createPlan"),
            ("Approvals", "/approvals", "approveOffboarding"),
            ("Offboardings", "/offboardings", "listOffboardings"),
            ("Tenants", "/tenants", "listTenants"),
            ("Operators", "/operators", "listOperators"),
            ("API tokens", "/tokens", "listTokens"),
            ("Audit log", "/audit", "listAuditEntries"),
        ]
        let nav = links.filter { (try? AccessRules.check(session.principal, operation: $0.2)) != nil }.map { label, href, _ in
            Shell.Link(label: label, href: href, current: path == href || (href != "/" && path.hasPrefix(href + "/")))
        }
        return Shell(
            signedIn: true, operatorName: session.principal.name.rawValue,
            roles: session.principal.roles.map(\.rawValue).sorted().joined(separator: ", "), csrf: session.csrfToken, nav: nav,
            assetVersion: templates.assetVersion)
    }
}

/// The frame around every page.
struct Shell {
    struct Link {
        var label: String
        var href: String
        var current: Bool
    }
    var signedIn = false
    var operatorName = ""
    var roles = ""
    var csrf = ""
    var nav: [Link] = []
    var assetVersion: String
}

/// How dates and statuses read on a page.
enum ConsoleFormat {
    static func when(_ date: Date?) -> String {
        guard let date else { return "" }
        let text = date.formatted(
            Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
                .timeSeparator(.colon))
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") + " UTC"
    }

    /// A status as words, and the CSS class that colours it.
    static func status(_ status: OffboardingRequest.Status) -> (label: String, tone: String) {
        switch status {
        case .awaitingApproval: ("awaiting approval", "wait")
        case .approved: ("approved, starting", "busy")
        case .running: ("running", "busy")
        case .succeeded: ("completed", "good")
        case .partiallySucceeded: ("partially completed", "warn")
        case .failed: ("failed", "bad")
        case .blocked: ("blocked", "bad")
        case .rejected: ("rejected", "muted")
        case .cancelled: ("cancelled", "muted")
        case .expired: ("expired", "muted")
        case .waiting: ("waiting for its stage", "wait")
        case .held: ("held", "warn")
        }
    }

    /// Why a planned step will not change anything, or nil when it runs.
    static func note(_ disposition: PlannedStep.Disposition) -> String? {
        switch disposition {
        case .run: nil
        case .alreadyDone(let why): "already so: \(why)"
        case .report(let why): "reported only: \(why)"
        }
    }

    static func step(_ status: StepStatus) -> (label: String, tone: String) {
        switch status {
        case .succeeded: ("done", "good")
        case .skipped: ("already so", "good")
        case .failed: ("failed", "bad")
        case .blocked: ("not run: a step it needs failed", "bad")
        case .running: ("running", "busy")
        case .pending: ("waiting", "wait")
        }
    }
}
