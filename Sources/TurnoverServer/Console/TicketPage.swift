import Foundation
import Hummingbird
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// "From a ticket": paste a PSA ticket, see what the rules read from it (each value with the words it
/// came from) and what a person must settle, then continue in the wizard with the draft filled in.
enum TicketPage {
    static func register(_ console: Console, on router: Router<BasicRequestContext>) {
        console.add(router, .get, "/offboard/:tenant/ticket", operation: "readTicket", form)
        console.add(router, .post, "/offboard/:tenant/ticket", operation: "readTicket", read)
        console.add(router, .post, "/offboard/:tenant/psa-import", operation: "importPSATicket", importFromPSA)
    }

    struct View {
        var tenant: String
        var subject: String
        var body: String
        var read: Bool
        var fields: [Row]
        var blockers: [String]
        var instructions: [String]
        var ready: Bool
        var wizardHref: String?
        var directorySize: Int
        /// The tenant's PSA connection, when its policy names one: the ticket can be imported by id.
        var psaConnection: String?
        /// What came of an import by id.
        var imported: String?
        var importFailed: Bool = false

        struct Row {
            var label: String
            var value: String
            var words: String
        }
    }

    static func form(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        return .page(
            "ticket", title: "From a ticket",
            View(
                tenant: tenant.name, subject: "", body: "", read: false, fields: [], blockers: [], instructions: [], ready: false,
                wizardHref: nil, directorySize: 0, psaConnection: try? console.api.psa.settings(for: tenant).connection))
    }

    /// Imports the ticket by its id through the same operation as the API; a submitted offboarding
    /// opens its page, anything else is said here.
    static func importFromPSA(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        let connection = try? console.api.psa.settings(for: tenant).connection
        var view = View(
            tenant: tenant.name, subject: "", body: "", read: false, fields: [], blockers: [], instructions: [], ready: false,
            wizardHref: nil, directorySize: 0, psaConnection: connection)
        let principal = visit.principal
        do {
            let result = try await console.api.psa.importTicket(
                visit.form["ticket"] ?? "", tenant: tenant.name, by: principal.name.rawValue, claim: "operator:\(principal.name.rawValue)",
                again: true)
            if let offboarding = result.record.offboarding, !result.alreadyImported { return .redirect("/offboardings/\(offboarding)") }
            let record = result.record
            view.imported =
                "Ticket \(record.ticket)\(record.summary.map { " (“\($0)”)" } ?? ""): \(record.outcome.rawValue)"
                + (result.alreadyImported ? ", imported before" : "") + (record.offboarding.map { " as \($0)" } ?? "")
                + (record.detail.isEmpty ? "." : ". \(record.detail)")
            view.importFailed = record.offboarding == nil
        } catch let refusal as PSADesk.Refusal {
            view.imported = refusal.description
            view.importFailed = true
        }
        return .page("ticket", title: "From a ticket", view, status: view.importFailed ? .unprocessableContent : .ok)
    }

    static func read(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        let subject = visit.form["subject"] ?? ""
        let body = visit.form["body"] ?? ""
        let reading = try await TicketIntake(clients: console.desk.clients).read(
            TicketText(subject: subject, body: body, receivedAt: Date()), tenant: tenant)
        let extraction = reading.extraction
        func person(_ label: String, _ value: Extracted<PersonRef>?) -> View.Row? {
            value.map { View.Row(label: label, value: "\($0.value.displayName) <\($0.value.userPrincipalName)>", words: $0.evidence.words) }
        }
        let rows: [View.Row?] = [
            person("Leaver", extraction.leaver),
            extraction.lastDay.map { View.Row(label: "Last day", value: $0.value.description, words: $0.evidence.words) },
            extraction.lastTime.map { View.Row(label: "Time", value: $0.value.description, words: $0.evidence.words) },
            extraction.hostile.map {
                View.Row(label: "Hostile exit", value: $0.value ? "yes: it runs as soon as it is approved" : "no", words: $0.evidence.words)
            },
            person("Delegate", extraction.delegate), person("Forward mail to", extraction.forwardingTo),
            person("Manager", extraction.manager),
        ]
        let draft = reading.draft
        var wizard: String?
        if draft.isReady, let upn = draft.userPrincipalName {
            var query = [("user", upn)]
            for override in draft.overrides {
                let parts = override.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, ["delegate", "forwarding"].contains(parts[0]) { query.append((parts[0], parts[1])) }
            }
            if let day = draft.lastDay { query.append(("lastDay", day)) }
            wizard = "/offboard/\(tenant.name)/plan?" + query.map { "\($0.0)=\(FormFields.escape($0.1))" }.joined(separator: "&")
        }
        return .page(
            "ticket", title: "From a ticket",
            View(
                tenant: tenant.name, subject: subject, body: body, read: true, fields: rows.compactMap { $0 }, blockers: draft.blockers,
                instructions: draft.instructions, ready: draft.isReady, wizardHref: wizard, directorySize: reading.directorySize,
                psaConnection: try? console.api.psa.settings(for: tenant).connection))
    }
}
