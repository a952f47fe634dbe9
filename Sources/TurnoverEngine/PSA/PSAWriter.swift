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

    public func write(
        _ action: PSAWriteBack, toTicket ticket: String, via connectionName: String
    ) async
        -> NotificationTransports.Outcome
    {
        let client: PSAClient
        do { client = try await psa.client(named: connectionName) } catch {
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
            case .deactivateContact(let email):
                guard let id = try await client.deactivateContact(email) else {
                    return .init(
                        succeeded: true, code: nil, detail: "no \(name) contact has the address \(email); nothing to deactivate",
                        permanent: false)
                }
                return .init(succeeded: true, code: nil, detail: "\(name) contact \(id) (\(email)) made inactive", permanent: false)
            case .attachEvidence(let offboarding):
                let pack: Data
                do { pack = try await evidence(offboarding) } catch {
                    return .init(succeeded: false, code: nil, detail: "the evidence pack could not be built: \(error)", permanent: true)
                }
                let id = try await client.attach(ticket, "turnover-evidence-\(offboarding.rawValue).zip", pack)
                return .init(
                    succeeded: true, code: nil, detail: "\(name) attachment \(id): evidence pack, \(pack.count) bytes", permanent: false)
            }
        } catch {
            // Refused content or a missing ticket will not pass with time; refused credentials may be fixed.
            let permanent = [.invalid, .notFound, .forbidden, .unexpected].contains(error.kind)
            return .init(succeeded: false, code: error.status, detail: "\(name): \(error)", permanent: permanent)
        }
    }
}
