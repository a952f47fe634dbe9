public import Foundation
import Yams

/// The moments of an offboarding that people are told about.
public enum NotificationEvent: String, Codable, Sendable, CaseIterable, Comparable {
    case submitted
    case approvalNeeded = "approval-needed"
    case approved
    case rejected
    case cancelled
    case expired
    case started
    /// A scheduled start the service missed (it was not running); sent with `started`.
    case scheduleMissed = "schedule-missed"
    case completed
    case partial
    case failed

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }

    /// The event a finished run's status stands for.
    public static func finished(_ status: RunStatus) -> NotificationEvent {
        switch status {
        case .succeeded: .completed
        case .partiallySucceeded: .partial
        default: .failed
        }
    }
}

/// Who receives an e-mail: a role around the offboarding, or a fixed address.
public enum EmailRecipient: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The operator who submitted the offboarding.
    case submitter
    /// The operators who may approve it for this tenant, except its submitter.
    case approvers
    /// The leaver's manager, with the summary of who keeps what.
    case manager
    /// The client's contact named in the tenant's notification settings.
    case contact
    case address(String)

    public init?(_ text: String) {
        switch text.lowercased() {
        case "submitter": self = .submitter
        case "approvers": self = .approvers
        case "manager": self = .manager
        case "contact": self = .contact
        default:
            guard EmailAddress.isPlausible(text) else { return nil }
            self = .address(text)
        }
    }

    public var description: String {
        switch self {
        case .submitter: "submitter"
        case .approvers: "approvers"
        case .manager: "manager"
        case .contact: "contact"
        case .address(let address): address
        }
    }
}

/// One rule of a tenant's notification routing: on these events, tell these people, post there.
public struct NotificationRoute: Codable, Sendable, Equatable {
    public var events: Set<NotificationEvent>
    public var email: [EmailRecipient]
    /// A JSON webhook, signed with HMAC-SHA256 (`Turnover-Signature`).
    public var webhook: URL?
    /// A Microsoft Teams Workflows "when a webhook request is received" URL; gets an Adaptive Card.
    public var teams: URL?

    public init(events: Set<NotificationEvent>, email: [EmailRecipient] = [], webhook: URL? = nil, teams: URL? = nil) {
        self.events = events
        self.email = email
        self.webhook = webhook
        self.teams = teams
    }
}

/// The policy's `notifications:` section.
public struct NotificationSettings: Codable, Sendable, Equatable {
    /// The client's contact (the `contact` recipient).
    public var contact: String?
    public var routes: [NotificationRoute] = []
    /// How long the link in an approval request opens the approval page (it approves nothing).
    public var approvalLinkHours: Int = 72

    public init(contact: String? = nil, routes: [NotificationRoute] = []) {
        self.contact = contact
        self.routes = routes
    }

    public var isEmpty: Bool { routes.isEmpty }

    /// Parses the section; problems carry their line.
    static func parse(_ node: Node, problems: inout [Policy.Problem]) -> NotificationSettings {
        func line(_ node: Node) -> Int? { node.mark.map { $0.line } }
        var settings = NotificationSettings()
        guard let mapping = node.mapping else {
            problems.append(Policy.Problem(line: line(node), message: "'notifications' is a mapping with 'contact' and 'routes'"))
            return settings
        }
        for (keyNode, value) in mapping {
            switch keyNode.scalar?.string ?? "" {
            case "contact":
                let text = value.scalar?.string ?? ""
                if EmailAddress.isPlausible(text) {
                    settings.contact = text
                } else {
                    problems.append(
                        Policy.Problem(line: line(value), message: "notifications.contact must be an e-mail address, not '\(text)'"))
                }
            case "approvalLinkHours":
                if let hours = value.scalar.flatMap({ Int($0.string) }), (1...720).contains(hours) {
                    settings.approvalLinkHours = hours
                } else {
                    problems.append(Policy.Problem(line: line(value), message: "notifications.approvalLinkHours is 1 to 720 hours"))
                }
            case "routes":
                guard let items = value.sequence else {
                    problems.append(Policy.Problem(line: line(value), message: "notifications.routes must be a list"))
                    continue
                }
                settings.routes = items.compactMap { parseRoute($0, problems: &problems) }
            default:
                problems.append(
                    Policy.Problem(
                        line: line(keyNode),
                        message:
                            "unknown notifications setting '\(keyNode.scalar?.string ?? "")'; known: contact, routes, approvalLinkHours"))
            }
        }
        if settings.contact == nil, settings.routes.contains(where: { $0.email.contains(.contact) }) {
            problems.append(Policy.Problem(line: line(node), message: "a route e-mails 'contact', but notifications.contact is not set"))
        }
        return settings
    }

    private static func parseRoute(_ node: Node, problems: inout [Policy.Problem]) -> NotificationRoute? {
        func line(_ node: Node) -> Int? { node.mark.map { $0.line } }
        guard let mapping = node.mapping else {
            problems.append(Policy.Problem(line: line(node), message: "a route is a mapping: on, and email, webhook or teams"))
            return nil
        }
        var route = NotificationRoute(events: [])
        var sawEvents = false
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            let texts = value.scalar.map { [$0.string] } ?? value.sequence?.compactMap { $0.scalar?.string } ?? []
            switch key {
            case "on":
                sawEvents = true
                for text in texts {
                    if text.lowercased() == "all" {
                        route.events.formUnion(NotificationEvent.allCases)
                    } else if let event = NotificationEvent(rawValue: text) {
                        route.events.insert(event)
                    } else {
                        problems.append(
                            Policy.Problem(
                                line: line(value),
                                message:
                                    "unknown event '\(text)'; events: all, \(NotificationEvent.allCases.map(\.rawValue).joined(separator: ", "))"
                            ))
                    }
                }
            case "email":
                for text in texts {
                    if let recipient = EmailRecipient(text) {
                        route.email.append(recipient)
                    } else {
                        problems.append(
                            Policy.Problem(
                                line: line(value),
                                message: "'\(text)' is not a recipient: submitter, approvers, manager, contact or an e-mail address"))
                    }
                }
            case "webhook", "teams":
                let text = texts.first ?? ""
                switch WebhookAddress.check(text) {
                case .success(let url): if key == "webhook" { route.webhook = url } else { route.teams = url }
                case .failure(let reason): problems.append(Policy.Problem(line: line(value), message: "\(key): \(reason)"))
                }
            default:
                problems.append(
                    Policy.Problem(line: line(keyNode), message: "unknown route setting '\(key)'; known: on, email, webhook, teams"))
            }
        }
        if !sawEvents || route.events.isEmpty {
            problems.append(Policy.Problem(line: line(node), message: "a route needs 'on': the events it is for (or all)"))
        }
        if route.email.isEmpty && route.webhook == nil && route.teams == nil {
            problems.append(Policy.Problem(line: line(node), message: "a route needs email, webhook or teams"))
        }
        return route
    }
}

/// Checks on addresses a policy names; a typo here would send an offboarding's details elsewhere.
public enum EmailAddress {
    public static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(where: { $0.isWhitespace || $0 == "<" })
    }
}

public enum WebhookAddress {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// HTTPS only, except plain HTTP to this machine (a receiver beside the service, or a test).
    public static func check(_ text: String) -> Result<URL, Refusal> {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return .failure(Refusal(description: "'\(text)' is not a URL"))
        }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            return .failure(Refusal(description: "'\(text)' must use https (plain http only to localhost)"))
        }
        return .success(url)
    }
}

/// What one notification says, before it is shaped for e-mail, a webhook or Teams. Pure: built
/// from the offboarding as it stood when the event was routed.
public struct NotificationContent: Codable, Sendable, Equatable {
    public var event: NotificationEvent
    public var tenant: String
    public var offboarding: OffboardingID
    public var leaver: PersonRef
    public var headline: String
    /// Label and value pairs: tenant, leaver, who submitted, status, schedule.
    public var facts: [Fact]
    /// Sentences below the facts: the reason, the steps that need attention.
    public var lines: [String]
    /// Who keeps what (the delegate, forwarding, the OneDrive, how long the mailbox is kept); sent
    /// to the leaver's manager.
    public var keeping: [String]
    /// The console's page for this offboarding; for an approval request, a signed link to it.
    public var link: String?

    public struct Fact: Codable, Sendable, Equatable {
        public var label: String
        public var value: String
        public init(_ label: String, _ value: String) {
            self.label = label
            self.value = value
        }
    }

    /// - Parameters:
    ///   - failures: steps of the finished run that did not succeed, as "title: reason".
    public static func make(
        event: NotificationEvent, request: OffboardingRequest, failures: [String] = [], link: String?
    ) -> NotificationContent {
        let name = request.plan.user.displayName
        let approvers = request.approvals.map(\.operator_.rawValue).joined(separator: ", ")
        let headline: String
        var lines: [String] = []
        switch event {
        case .submitted: headline = "Offboarding of \(name) submitted by \(request.submittedBy)"
        case .approvalNeeded:
            headline = "Approval needed: offboarding of \(name)"
            lines.append(
                "\(request.submittedBy) asks for approval of \(request.plan.runnableSteps.count) step(s). Open the link and sign in to review the plan; the link alone approves nothing."
            )
        case .approved: headline = "Offboarding of \(name) approved by \(approvers.isEmpty ? "an approver" : approvers)"
        case .rejected:
            headline = "Offboarding of \(name) rejected by \(request.rejection?.operator_.rawValue ?? "an approver")"
            if let reason = request.rejection?.comment, !reason.isEmpty { lines.append("Reason: \(reason)") }
        case .cancelled:
            headline = "Offboarding of \(name) cancelled by \(request.cancellation?.operator_.rawValue ?? "an operator")"
            if let reason = request.cancellation?.comment, !reason.isEmpty { lines.append("Reason: \(reason)") }
        case .expired: headline = "Offboarding of \(name) expired without the approvals it needed"
        case .started: headline = "Offboarding of \(name) started"
        case .scheduleMissed:
            headline = "Offboarding of \(name) started late"
            lines.append("The service was not running at the scheduled time; the run started when it came back.")
        case .completed: headline = "Offboarding of \(name) completed"
        case .partial: headline = "Offboarding of \(name) partly completed: \(failures.count) step(s) need attention"
        case .failed: headline = "Offboarding of \(name) failed"
        }
        lines += failures.map { "Needs attention: \($0)" }
        var facts = [
            Fact("Tenant", request.tenant), Fact("Leaver", "\(name) <\(request.userPrincipalName)>"),
            Fact("Offboarding", request.id.rawValue), Fact("Submitted by", request.submittedBy.rawValue),
            Fact("Status", request.status.rawValue),
        ]
        if let timing = request.timing { facts.append(Fact("Runs", timing)) }
        // The plan's retention lines say who keeps what in full; the preservation steps' titles
        // stand in only when a plan has none.
        let keeping =
            request.plan.retention.isEmpty
            ? request.plan.runnableSteps.filter { $0.phase == .preservation }.map(\.title) : request.plan.retention
        return NotificationContent(
            event: event, tenant: request.tenant, offboarding: request.id, leaver: request.plan.user, headline: headline, facts: facts,
            lines: lines, keeping: keeping, link: link)
    }

    /// The plain-text body; `withKeeping` adds who keeps what (for the manager and the contact).
    ///
    /// - Parameters:
    ///   - showsHeadline: false where a title already carries it (a PSA note's).
    ///   - detail: a longer text after the content (the plan, the report), before the link.
    public func text(withKeeping: Bool, showsHeadline: Bool = true, detail: String? = nil) -> String {
        var out = showsHeadline ? headline + "\n\n" : ""
        out += facts.map { "\($0.label): \($0.value)" }.joined(separator: "\n") + "\n"
        if !lines.isEmpty { out += "\n" + lines.joined(separator: "\n") + "\n" }
        if withKeeping && !keeping.isEmpty {
            out += "\nWho keeps what:\n" + keeping.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        if let detail { out += "\n" + detail + (detail.hasSuffix("\n") ? "" : "\n") }
        if let link { out += "\n\(link)\n" }
        return out + "\n— Turnover\n"
    }

    /// The HTML e-mail: the same content as the text, escaped.
    public func html(withKeeping: Bool) -> String {
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>\(HTMLEscaping.escape(headline))</h2>"
            + htmlBody(withKeeping: withKeeping) + "</body></html>"
    }

    /// The content as an HTML fragment without the headline, for the e-mail and a PSA note.
    public func htmlBody(withKeeping: Bool, detail: String? = nil) -> String {
        let escape = HTMLEscaping.escape
        var out = "<table>"
        out += facts.map { "<tr><th align=\"left\">\(escape($0.label))</th><td>\(escape($0.value))</td></tr>" }.joined()
        out += "</table>"
        out += lines.map { "<p>\(escape($0))</p>" }.joined()
        if withKeeping && !keeping.isEmpty {
            out += "<h3>Who keeps what</h3><ul>" + keeping.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        if let detail { out += "<pre>\(escape(detail))</pre>" }
        if let link { out += "<p><a href=\"\(escape(link))\">Open in Turnover</a></p>" }
        return out
    }
}
