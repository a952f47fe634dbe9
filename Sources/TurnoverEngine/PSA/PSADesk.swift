public import AsyncHTTPClient
public import Foundation
public import PSAClients
import Synchronization
public import TurnoverCore
public import TurnoverStore

/// Everything Turnover does with PSAs on the way in: the connections (credentials checked before
/// they are kept, then sealed), and importing a ticket, by its id or found by the poller. A
/// ticket becomes an offboarding only when the tenant's directory resolves it without a guess;
/// it then waits for approval like any plan. The way out (notes, status, evidence) is `PSAWriter`.
public struct PSADesk: Sendable {
    public let desk: OffboardingDesk
    public let http: PSAHTTP

    /// One client per connection, so Halo's token is reused across calls; rebuilt when the record changes.
    let clients = PSAClientCache()

    /// - Parameter http: a client that follows no redirects (`redirectConfiguration: .disallow`):
    ///   Autotask's secret is in headers a redirect to another host would carry.
    public init(desk: OffboardingDesk, http: HTTPClient) {
        self.desk = desk
        self.http = PSAHTTP(client: http)
    }

    var store: any TurnoverStore { desk.store }
    var secrets: SecretBox { desk.clients.workspace.secrets }

    /// A request refused as it stands; nothing was changed.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// The PSA's classified answer, when it was the PSA that refused.
        public var psaError: PSAError?
    }

    // MARK: Connections

    /// Signs in with the credentials and keeps them only when the PSA accepted them.
    public func saveConnection(named name: String, _ connection: PSAConnection, by actor: String) async throws -> StoredPSAConnection {
        guard PSASettings.isConnectionName(name) else {
            throw Refusal(description: "A connection's name is letters, digits, - and _ (up to 64), not '\(name)'.")
        }
        for (label, address) in [("url", connection.url), ("authURL", connection.authURL)] {
            guard let address else { continue }
            if case .failure(let reason) = WebhookAddress.check(address) {
                throw Refusal(description: "\(label): \(reason.description). Nothing was saved.")
            }
        }
        guard !connection.clientId.isEmpty, !connection.secret.isEmpty else {
            throw Refusal(description: "\(connection.kind.displayName) needs a client id and a secret. Nothing was saved.")
        }
        let signedInAs: String
        do throws(PSAError) {
            signedInAs = try await PSAClient.live(connection, http: http).verify()
        } catch {
            throw Refusal(
                description: "\(connection.kind.displayName) did not accept the connection: \(error). Nothing was saved.", psaError: error)
        }
        let existing = try await store.psaConnection(named: name)
        let record = StoredPSAConnection(
            name: name, kind: connection.kind.rawValue, url: connection.url, clientId: connection.clientId, account: connection.account,
            username: connection.username, authURL: connection.authURL, sealedSecret: try secrets.seal(connection.secret),
            verifiedAs: signedInAs, createdAt: existing?.createdAt ?? desk.now())
        try await store.savePSAConnection(record)
        try await store.appendAudit(
            AuditEvent(
                actor: actor, action: existing == nil ? "psa.connection-added" : "psa.connection-changed", subject: "psa:\(name)",
                detail: "\(connection.kind.displayName) at \(connection.url), signed in as \(signedInAs)"), at: desk.now())
        return record
    }

    public func removeConnection(named name: String, by actor: String) async throws -> Bool {
        guard try await store.deletePSAConnection(named: name) else { return false }
        try await store.appendAudit(AuditEvent(actor: actor, action: "psa.connection-removed", subject: "psa:\(name)"), at: desk.now())
        return true
    }

    /// The stored connection with its secret opened, and its client (one per connection, so Halo's
    /// token is reused; rebuilt when the record changes).
    public func connected(named name: String) async throws -> (connection: PSAConnection, client: PSAClient) {
        guard let record = try await store.psaConnection(named: name) else {
            throw Refusal(description: "There is no PSA connection '\(name)'; add it with `turnover psa add \(name) …`.")
        }
        let connection = try open(record)
        if let cached = clients.client(for: record) { return (connection, cached) }
        let client = PSAClient.live(connection, http: http)
        clients.keep(client, for: record)
        return (connection, client)
    }

    func open(_ record: StoredPSAConnection) throws -> PSAConnection {
        let name = record.name
        guard let kind = PSAKind(rawValue: record.kind) else {
            throw Refusal(description: "PSA connection '\(name)' is of an unknown kind '\(record.kind)'.")
        }
        return PSAConnection(
            kind: kind, url: record.url, clientId: record.clientId, account: record.account, username: record.username,
            secret: try secrets.open(record.sealedSecret), authURL: record.authURL)
    }

    // MARK: Import

    public struct Imported: Sendable {
        public var record: PSAImport
        public var ticket: PSATicket?
        public var reading: TicketIntake.Reading?
        public var offboarding: OffboardingRequest?
        /// It had been imported before; `record` is that import.
        public var alreadyImported: Bool
    }

    /// The tenant's PSA settings, or why there are none.
    public func settings(for tenant: StoredTenant) throws -> PSASettings {
        guard let settings = try desk.clients.policy(for: tenant, overrides: []).psa else {
            throw Refusal(description: "Tenant '\(tenant.name)' has no psa: section in its policy, so no PSA is connected to it.")
        }
        return settings
    }

    /// Reads the ticket from the PSA and, when it names one leaver without doubt, submits the
    /// offboarding (to wait for approval). A ticket is imported once: a second call returns the first
    /// import. When the PSA cannot be read, nothing is recorded and nothing changes in the tenant.
    ///
    /// - Parameters:
    ///   - actor: who submits: an operator, or `psa:{connection}` for the poller.
    ///   - claim: who is importing it (a server's lease owner or the operator), so two servers
    ///     polling the same board import it once.
    ///   - again: an operator asked for this ticket: one read before as needing a person's answer,
    ///     or as not an offboarding, is read again (it may have been corrected). The poller never does.
    public func importTicket(
        _ id: String, tenant tenantName: String, by actor: String, claim claimant: String, again: Bool = false
    ) async throws -> Imported {
        let tenant = try await desk.tenant(tenantName)
        let settings = try settings(for: tenant)
        let id = id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw Refusal(description: "'\(id)' is not a ticket id.")
        }
        let retaking: Set<PSAImport.Outcome> = again ? [.failed, .needsAttention, .skipped] : [.failed]
        // An import left `importing` this long ago was cut off (a crash, a stop): it may be taken again.
        let staleBefore = desk.now().addingTimeInterval(-Self.abandonedImport)
        if let earlier = try await store.psaImport(connection: settings.connection, ticket: id),
            !retaking.contains(earlier.outcome), !(earlier.outcome == .importing && earlier.at < staleBefore)
        {
            return Imported(record: earlier, ticket: nil, reading: nil, offboarding: nil, alreadyImported: true)
        }
        let (connection, client) = try await connected(named: settings.connection)
        let ticket: PSATicket
        do throws(PSAError) { ticket = try await client.ticket(id) } catch {
            throw Refusal(
                description: "\(client.kind.displayName) could not give ticket \(id): \(error). Nothing was imported.", psaError: error)
        }
        // A ticket of another client would offboard a namesake in the wrong tenant.
        if let company = settings.company, ticket.company != company {
            throw Refusal(
                description:
                    "Ticket \(id) belongs to company \(ticket.company ?? "none") in \(client.kind.displayName), not to \(tenant.name)'s company \(company). Nothing was imported."
            )
        }
        // One claim per attempt: the same operator importing twice at once takes it once.
        var record = PSAImport(
            connection: settings.connection, ticket: id, tenant: tenant.name, outcome: .importing,
            claim: "\(claimant)/\(UUID().uuidString.prefix(8))", at: desk.now(), summary: ticket.summary, detail: "imported by \(actor)")
        guard try await store.claimPSAImport(record, retaking: retaking, staleBefore: staleBefore) else {
            let other = try await store.psaImport(connection: settings.connection, ticket: id) ?? record
            return Imported(record: other, ticket: ticket, reading: nil, offboarding: nil, alreadyImported: true)
        }
        let reference = TicketReference(
            connection: settings.connection, id: id, summary: ticket.summary, instance: Self.instance(of: connection))
        var submitted: OffboardingRequest?
        do {
            let reading = try await TicketIntake(clients: desk.clients).read(
                TicketText(
                    subject: ticket.summary, body: ticket.details, fields: ticket.fields, receivedAt: ticket.createdAt ?? desk.now()),
                tenant: tenant)
            var offboarding: OffboardingRequest?
            let draft = reading.draft
            if draft.isReady, let user = draft.userPrincipalName,
                let earlier = try await submittedOffboarding(from: reference, tenant: tenant.name)
            {
                // An earlier import submitted it and then failed: that offboarding stands, no second one.
                offboarding = earlier
                record.outcome = .submitted
                record.offboarding = earlier.id
                record.detail = "submitted before as \(earlier.id.rawValue) (\(user))"
            } else if draft.isReady, let user = draft.userPrincipalName {
                do {
                    let timing: RunTiming = draft.runsNow ? .now : draft.lastDay.map(RunTiming.endOfLastDay) ?? .now
                    offboarding = try await desk.submit(
                        tenant: tenant, userPrincipalName: user, overrides: draft.overrides, confirmWipe: false,
                        by: OperatorName(actor), timing: timing, ticket: reference)
                    submitted = offboarding
                    record.outcome = .submitted
                    record.offboarding = offboarding?.id
                    record.detail = "submitted by \(actor) as \(offboarding?.id.rawValue ?? "")"
                } catch let refusal as OffboardingService.Refusal {
                    record.outcome = .needsAttention
                    record.detail = refusal.description
                }
            } else if reading.extraction.isOffboarding?.value == true {
                record.outcome = .needsAttention
                record.detail = draft.blockers.joined(separator: " ")
            } else {
                record.outcome = .skipped
                record.detail = draft.blockers.first ?? "not an offboarding"
            }
            if record.outcome == .needsAttention {
                // Said on the ticket, where the technician who can answer it looks.
                let lines =
                    ["Turnover read this ticket but did not plan an offboarding from it:"] + draft.blockers.map { "- \($0)" }
                    + (record.detail.isEmpty || !draft.blockers.isEmpty ? [] : ["- \(record.detail)"])
                    + ["Correct the ticket or start the offboarding in the console."]
                let note = PSANote(
                    title: "Turnover: needs a person's answer", text: lines.joined(separator: "\n"),
                    html: lines.map { "<p>\(HTMLEscaping.escape($0))</p>" }.joined())
                do throws(PSAError) { _ = try await client.addNote(id, note) } catch {
                    record.detail += " (The note saying so could not be added: \(error).)"
                }
            }
            record.at = desk.now()
            try await store.updatePSAImport(record)
            try await store.appendAudit(
                AuditEvent(
                    actor: actor, action: "psa.ticket-imported", tenant: tenant.name, subject: offboarding?.id.rawValue ?? "psa:\(id)",
                    detail: "\(settings.connection) ticket \(id): \(record.outcome.rawValue). \(record.detail)"), at: desk.now())
            return Imported(record: record, ticket: ticket, reading: reading, offboarding: offboarding, alreadyImported: false)
        } catch {
            // Once submitted, never `failed`: a retry would submit the ticket a second time.
            if let submitted {
                record.outcome = .submitted
                record.offboarding = submitted.id
                record.detail = "submitted as \(submitted.id.rawValue); then: \(error)"
            } else {
                record.outcome = .failed
                record.detail = "\(error)"
            }
            record.at = desk.now()
            try? await store.updatePSAImport(record)
            throw error
        }
    }

    /// Seconds after which an import still `importing` counts as abandoned.
    static let abandonedImport: TimeInterval = 600

    /// "halopsa https://msp.halopsa.com": which PSA a ticket number belongs to.
    public static func instance(of connection: PSAConnection) -> String { "\(connection.kind.rawValue) \(connection.url)" }

    /// The offboarding (the first stage, for a timeline) already submitted from this ticket, if any.
    func submittedOffboarding(from reference: TicketReference, tenant: String) async throws -> OffboardingRequest? {
        try await store.offboardings(OffboardingFilter(tenants: [tenant]), limit: 500, after: nil).first { request in
            request.ticket?.connection == reference.connection && request.ticket?.id == reference.id
                && (request.timeline == nil || request.timeline == request.id)
        }
    }
}

/// The clients built so far, by connection name, with the record each was built from.
final class PSAClientCache: Sendable {
    private let clients = Mutex<[String: (record: StoredPSAConnection, client: PSAClient)]>([:])

    func client(for record: StoredPSAConnection) -> PSAClient? {
        clients.withLock { $0[record.name] }.flatMap { $0.record == record ? $0.client : nil }
    }

    func keep(_ client: PSAClient, for record: StoredPSAConnection) {
        clients.withLock { $0[record.name] = (record, client) }
    }
}
