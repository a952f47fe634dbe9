public import Foundation
public import PSAClients
public import TurnoverCore

/// Writes to the ticket an offboarding came from: the notification outbox's PSA channel. Each call
/// is one `PSAWriteBack`, answered with what the PSA said and whether trying again can help.
public struct PSAWriter: Sendable {
    public let psa: PSADesk
    /// The offboarding's signed evidence pack (the server builds it, with the report as the console shows it).
    public var evidence: @Sendable (OffboardingID) async throws -> Data

    public init(psa: PSADesk, evidence: @escaping @Sendable (OffboardingID) async throws -> Data) {
        self.psa = psa
        self.evidence = evidence
    }

    public func write(_ action: PSAWriteBack, to reference: TicketReference) async -> NotificationTransports.Outcome {
        let ticket = reference.id
        let client: PSAClient
        do {
            let (connection, connected) = try await psa.connected(named: reference.connection)
            // Repointed to another PSA since the ticket came in: the same number there is someone else's ticket.
            if let instance = reference.instance, instance != PSADesk.instance(of: connection) {
                return .init(
                    succeeded: false, code: nil,
                    detail:
                        "not sent: connection \(reference.connection) now points to \(PSADesk.instance(of: connection)), not to \(instance) where the ticket is",
                    permanent: true)
            }
            client = connected
        } catch {
            // The connection may be added back (or its key restored): worth retrying.
            return .init(succeeded: false, code: nil, detail: "\(error)", permanent: false)
        }
        let name = client.kind.displayName
        do throws(PSAError) {
            switch action {
            case .note(let title, let text, let html):
                let id = try await client.addNote(ticket, PSANote(title: title, text: text, html: html))
                return .init(succeeded: true, code: nil, detail: "\(name) note \(id) on ticket \(ticket)", permanent: false)
            case .status(let status):
                try await client.setStatus(ticket, status)
                return .init(succeeded: true, code: nil, detail: "\(name) ticket \(ticket) set to status \(status)", permanent: false)
            case .time(let start, let end, let summary, let member, let role):
                let id = try await client.addTime(
                    ticket, PSATimeEntry(start: start, end: end, summary: summary, member: member, role: role))
                let minutes = Int((end.timeIntervalSince(start) / 60).rounded(.up))
                return .init(
                    succeeded: true, code: nil, detail: "\(name) time entry \(id): \(minutes) min for \(member)", permanent: false)
            case .deactivateContact(let email, let company):
                guard let id = try await client.deactivateContact(email, company) else {
                    // Not done, so not reported done: a person deactivates the right contact by hand.
                    return .init(
                        succeeded: false, code: nil,
                        detail:
                            "no \(name) contact of company \(company) has the address \(email); nothing was deactivated (do it by hand)",
                        permanent: true)
                }
                return .init(succeeded: true, code: nil, detail: "\(name) contact \(id) (\(email)) made inactive", permanent: false)
            case .attachEvidence(let offboarding):
                let pack: Data
                do { pack = try await evidence(offboarding) } catch {
                    return .init(succeeded: false, code: nil, detail: "the evidence pack could not be built: \(error)", permanent: true)
                }
                if let limit = client.kind.attachmentLimit, pack.count > limit {
                    return .init(
                        succeeded: false, code: nil,
                        detail:
                            "not sent: the evidence pack is \(pack.count) bytes, over \(name)'s \(limit) per file; download it from the console",
                        permanent: true)
                }
                let id = try await client.attach(ticket, "turnover-evidence-\(offboarding.rawValue).zip", pack)
                return .init(
                    succeeded: true, code: nil, detail: "\(name) attachment \(id): evidence pack, \(pack.count) bytes", permanent: false)
            }
        } catch {
            return Self.outcome(of: error, writing: action, on: ticket, in: name)
        }
    }

    /// Whether a failed write is tried again. A status or a contact can be set twice without harm; a
    /// note, a time entry or a file would be there twice, so those are sent again only when the PSA
    /// certainly did nothing. Refused content or a missing ticket will not pass with time.
    public static func outcome(
        of error: PSAError, writing action: PSAWriteBack, on ticket: String, in name: String
    )
        -> NotificationTransports.Outcome
    {
        let repeatable: Bool
        switch action {
        case .status, .deactivateContact: repeatable = true
        case .note, .time, .attachEvidence: repeatable = false
        }
        if [PSAError.Kind.invalid, .notFound, .forbidden].contains(error.kind) {
            return .init(succeeded: false, code: error.status, detail: "\(name): \(error)", permanent: true)
        }
        if repeatable ? (error.isTransient || error.kind == .unauthorized) : error.leftNothing {
            return .init(succeeded: false, code: error.status, detail: "\(name): \(error)", permanent: false)
        }
        return .init(
            succeeded: false, code: error.status,
            detail:
                "\(name): \(error). It may or may not have been saved; it is not sent again, so it is never there twice: check ticket \(ticket)",
            permanent: true)
    }
}
