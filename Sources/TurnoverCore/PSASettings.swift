public import Foundation
import Yams

/// The policy's `psa:` section: which PSA connection serves this tenant, where its offboarding
/// tickets arrive, and what Turnover writes back.
///
/// ```yaml
/// psa:
///   connection: halo            # added with `turnover psa add halo …`
///   company: "12"               # the client's id in the PSA
///   board: "3"                  # board, queue or ticket type of offboarding tickets
///   newStatuses: ["1"]          # a new offboarding ticket's statuses (polling)
///   poll: true                  # import new tickets on the board by itself
///   statuses: {submitted: "2", approved: "2", completed: "4", partial: "3", failed: "3"}
///   time: {member: "jdoe"}      # a time entry when the run finishes (Autotask also needs role)
///   deactivateContact: true     # the leaver's PSA contact, when the run finishes
///   attachEvidence: true        # the signed evidence pack, on the ticket
/// ```
public struct PSASettings: Codable, Sendable, Equatable {
    public var connection: String
    /// Required: only this client's tickets are read for the tenant.
    public var company: String?
    public var board: String?
    public var newStatuses: [String] = []
    public var poll = false
    /// Event → the PSA's status id the ticket is moved to.
    public var statuses: [NotificationEvent: String] = [:]
    /// Who the time entry is for; nil: no time entry.
    public var timeMember: String?
    public var timeRole: String?
    public var deactivateContact = true
    public var attachEvidence = true

    public init(connection: String) { self.connection = connection }

    /// The events that get an internal note on the ticket.
    public static let notedEvents: Set<NotificationEvent> = [
        .submitted, .approved, .rejected, .cancelled, .expired, .scheduleMissed, .completed, .partial, .failed,
    ]

    static let knownKeys = [
        "connection", "company", "board", "newStatuses", "poll", "statuses", "time", "deactivateContact", "attachEvidence",
    ]

    /// A connection name: what `turnover psa add` accepts.
    public static func isConnectionName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }
    }

    static func parse(_ node: Node, problems: inout [Policy.Problem]) -> PSASettings? {
        func line(_ node: Node) -> Int? { node.mark.map { $0.line } }
        guard let mapping = node.mapping else {
            problems.append(Policy.Problem(line: line(node), message: "'psa' is a mapping with at least 'connection'"))
            return nil
        }
        var settings = PSASettings(connection: "")
        /// PSA ids are numbers in all three PSAs; a YAML scalar of letters is almost surely a name typed by mistake.
        func id(_ value: Node, _ key: String) -> String? {
            guard let text = value.scalar?.string.trimmingCharacters(in: .whitespaces), !text.isEmpty,
                text.allSatisfy({ $0.isNumber || $0.isLetter || $0 == "-" || $0 == "_" || $0 == "." }), text.count <= 64
            else {
                problems.append(Policy.Problem(line: line(value), message: "psa.\(key) is the PSA's id, such as \"12\""))
                return nil
            }
            return text
        }
        func flag(_ value: Node, _ key: String) -> Bool? {
            switch value.scalar?.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default:
                problems.append(Policy.Problem(line: line(value), message: "psa.\(key) is true or false"))
                return nil
            }
        }
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            switch key {
            case "connection":
                let text = value.scalar?.string ?? ""
                if isConnectionName(text) {
                    settings.connection = text
                } else {
                    problems.append(
                        Policy.Problem(line: line(value), message: "psa.connection is a connection's name (letters, digits, - and _)"))
                }
            case "company": settings.company = id(value, key)
            case "board": settings.board = id(value, key)
            case "newStatuses":
                let items = value.sequence.map { Array($0) } ?? [value]
                settings.newStatuses = items.compactMap { id($0, key) }
            case "poll": settings.poll = flag(value, key) ?? false
            case "deactivateContact": settings.deactivateContact = flag(value, key) ?? true
            case "attachEvidence": settings.attachEvidence = flag(value, key) ?? true
            case "statuses":
                guard let pairs = value.mapping else {
                    problems.append(Policy.Problem(line: line(value), message: "psa.statuses maps events to status ids"))
                    continue
                }
                for (eventNode, statusNode) in pairs {
                    let name = eventNode.scalar?.string ?? ""
                    guard let event = NotificationEvent(rawValue: name) else {
                        problems.append(
                            Policy.Problem(
                                line: line(eventNode),
                                message:
                                    "psa.statuses: '\(name)' is not an event; known: \(NotificationEvent.allCases.map(\.rawValue).joined(separator: ", "))"
                            ))
                        continue
                    }
                    if let status = id(statusNode, "statuses.\(name)") { settings.statuses[event] = status }
                }
            case "time":
                guard let pairs = value.mapping else {
                    problems.append(Policy.Problem(line: line(value), message: "psa.time is a mapping with 'member' (and 'role')"))
                    continue
                }
                for (inner, innerValue) in pairs {
                    switch inner.scalar?.string ?? "" {
                    case "member": settings.timeMember = id(innerValue, "time.member")
                    case "role": settings.timeRole = id(innerValue, "time.role")
                    default: problems.append(Policy.Problem(line: line(inner), message: "psa.time has 'member' and 'role'"))
                    }
                }
                if settings.timeMember == nil {
                    problems.append(Policy.Problem(line: line(value), message: "psa.time needs 'member': who the time is for"))
                }
            default:
                problems.append(
                    Policy.Problem(
                        line: line(keyNode), message: "unknown psa setting '\(key)'; known: \(knownKeys.joined(separator: ", "))"))
            }
        }
        if settings.connection.isEmpty {
            problems.append(Policy.Problem(line: line(node), message: "psa needs 'connection': the PSA connection's name"))
        }
        // A ticket of another client would offboard a namesake in this tenant.
        if settings.company == nil {
            problems.append(
                Policy.Problem(line: line(node), message: "psa needs 'company': the client's id in the PSA, so only its tickets are read"))
        }
        if settings.poll && settings.board == nil {
            problems.append(
                Policy.Problem(line: line(node), message: "psa.poll needs 'board', or it would import every ticket of the client"))
        }
        return settings
    }
}

/// The PSA ticket an offboarding came from, so what happens is written back to it.
public struct TicketReference: Codable, Sendable, Equatable, Hashable {
    /// The PSA connection's name.
    public var connection: String
    public var id: String
    public var summary: String?
    /// The PSA instance the ticket is on ("halopsa https://msp.halopsa.com"): if the connection is later
    /// pointed elsewhere, nothing is written to a ticket of the same number there.
    public var instance: String?

    public init(connection: String, id: String, summary: String? = nil, instance: String? = nil) {
        self.connection = connection
        self.id = id
        self.summary = summary
        self.instance = instance
    }

    public var description: String { "\(connection) ticket \(id)" }
}
