public import Foundation
public import TurnoverCore

/// A tenant as stored: credentials sealed, never in clear text at rest.
public struct StoredTenant: Codable, Sendable, Equatable {
    public var name: String
    public var tenantId: String
    public var clientId: String
    /// "global", "usgov", "dod", "china" or "simulator".
    public var cloud: String
    public var simulatorURL: String?
    /// AES-GCM sealed client secret (base64), when the app uses a secret.
    public var sealedSecret: String?
    /// AES-GCM sealed certificate + key PEM (base64), when the app uses a certificate.
    public var sealedCertificate: String?
    public var policyYAML: String?
    public var createdAt: Date

    public init(
        name: String, tenantId: String, clientId: String, cloud: String, simulatorURL: String?, sealedSecret: String?,
        sealedCertificate: String?,
        policyYAML: String?, createdAt: Date
    ) {
        self.name = name
        self.tenantId = tenantId
        self.clientId = clientId
        self.cloud = cloud
        self.simulatorURL = simulatorURL
        self.sealedSecret = sealedSecret
        self.sealedCertificate = sealedCertificate
        self.policyYAML = policyYAML
        self.createdAt = createdAt
    }
}

public struct RunSummary: Sendable, Equatable {
    public var id: RunID
    public var tenant: String
    public var userPrincipalName: String
    public var status: RunStatus
    public var createdAt: Date
}

/// Where Turnover keeps tenants, runs, steps and attempts: what the runner and the CLI need.
///
/// Every write is durable when the call returns: the runner records an attempt before it touches a
/// tenant and the outcome right after, so a crash loses nothing it would need to resume safely.
public protocol RunStore: Sendable {
    func saveTenant(_ tenant: StoredTenant) async throws
    func tenant(named name: String) async throws -> StoredTenant?
    func tenants() async throws -> [StoredTenant]
    func deleteTenant(named name: String) async throws -> Bool

    /// Stores a run with all of its steps; with `leaseOwner`, the run's lease is taken in the same
    /// transaction, so no worker can claim it before its creator starts it.
    func createRun(_ run: RunRecord, leaseOwner: String?, until: Date?) async throws
    /// Saves the run-level fields (status, times, licences freed).
    func updateRun(_ run: RunRecord) async throws
    func updateStep(run: RunID, _ step: StepRecord) async throws
    func startAttempt(run: RunID, step: StepID, number: Int, at: Date) async throws
    func finishAttempt(run: RunID, step: StepID, number: Int, at: Date, outcome: String) async throws
    /// Attempts that were started and never finished: their effect may or may not have happened.
    func unfinishedAttempts(run: RunID) async throws -> [StepID: Int]
    func run(_ id: RunID) async throws -> RunRecord?
    /// Newest first; `tenant` and `userPrincipalName` (case-insensitive) narrow the list when given.
    func runs(limit: Int, tenant: String?, userPrincipalName: String?) async throws -> [RunSummary]
    func unfinishedRuns() async throws -> [RunID]
    func close() async throws
}

/// The whole store of `turnover serve`: runs, plus leases, offboardings awaiting approval,
/// operators, credentials and the audit chain. SQLite by default.
public protocol TurnoverStore: RunStore {
    /// The schema version the database is at (the highest migration applied).
    func schemaVersion() async throws -> Int

    // MARK: Leases

    /// Takes the lease on one item of `work` that is ready and held by nobody (or whose lease
    /// expired), until `until`; `id` asks for that item only, and then a lease `owner` already holds
    /// counts as taken (never otherwise: a worker must not pick up again what it is executing).
    /// Returns the item's id, or nil.
    /// Ready means: an approved offboarding; a run planned or running (a sandbox run never, its
    /// simulator died with its process).
    func claim(_ work: LeasedWork, id: String?, owner: String, until: Date, now: Date) async throws -> String?
    /// Extends a lease `owner` holds; false when it was lost (expired and taken over).
    func heartbeat(_ work: LeasedWork, id: String, owner: String, until: Date) async throws -> Bool
    func release(_ work: LeasedWork, id: String, owner: String) async throws
    /// Ends every lease `owner` holds (a graceful shutdown).
    func releaseAll(owner: String) async throws
    /// Clears leases that expired before `now`, so the work shows as free; returns how many.
    func reapExpiredLeases(now: Date) async throws -> Int
    /// Who holds a lease on `work` now, by item.
    func leaseHolders(_ work: LeasedWork) async throws -> [String: String]
    /// Moves a lease from `previous` (known to be dead) to `owner`; false when `previous` no longer holds it.
    func takeOver(_ work: LeasedWork, id: String, from previous: String, to owner: String, until: Date) async throws -> Bool

    // MARK: Offboardings awaiting approval

    func createOffboarding(_ request: OffboardingRequest) async throws
    /// Saves `request` if nobody saved it since `version` was read; false when someone did.
    func updateOffboarding(_ request: OffboardingRequest, expectedVersion: Int) async throws -> Bool
    func offboarding(_ id: OffboardingID) async throws -> (request: OffboardingRequest, version: Int)?
    /// Newest first, after the offboarding `after` (the previous page's last) when given.
    func offboardings(_ filter: OffboardingFilter, limit: Int, after: OffboardingID?) async throws -> [OffboardingRequest]
    /// Stores the run and marks the offboarding running with it, in one transaction; the run's
    /// lease goes to `leaseOwner`. False when the offboarding changed since `expectedVersion`.
    func startRun(
        _ run: RunRecord, for request: OffboardingRequest, expectedVersion: Int, leaseOwner: String, until: Date
    ) async throws -> Bool

    // MARK: Operators and credentials

    func saveOperator(_ record: OperatorRecord) async throws
    func operatorRecord(named name: OperatorName) async throws -> OperatorRecord?
    func operators() async throws -> [OperatorRecord]
    /// Stores a credential under the SHA-256 hex of its secret.
    func saveCredential(_ record: CredentialRecord, secretHash: String) async throws
    func credential(secretHash: String) async throws -> CredentialRecord?
    func credential(id: String) async throws -> CredentialRecord?
    func updateCredential(_ record: CredentialRecord) async throws
    func credentials(operator name: OperatorName?) async throws -> [CredentialRecord]

    // MARK: Audit

    /// Appends to the hash chain; entries are numbered 1, 2, 3… in the order appended.
    @discardableResult func appendAudit(_ event: AuditEvent, at: Date) async throws -> AuditEntry
    /// In sequence order, from the entry after `after`.
    func auditEntries(after: Int64, limit: Int) async throws -> [AuditEntry]

    // MARK: Notifications (an outbox: routed from the audit log, sent under a lease)

    /// The last audit sequence whose events have been routed to deliveries.
    func notificationCursor() async throws -> Int64
    /// Stores the deliveries (one already stored is left as it is) and moves the cursor to
    /// `sequence`, in one transaction.
    func enqueueDeliveries(_ deliveries: [NotificationDelivery], routedThrough sequence: Int64) async throws
    func delivery(_ id: String) async throws -> NotificationDelivery?
    func updateDelivery(_ delivery: NotificationDelivery) async throws
    /// Oldest first; all offboardings when nil.
    func deliveries(offboarding: OffboardingID?, limit: Int) async throws -> [NotificationDelivery]

    // PSA connections and imported tickets.
    func savePSAConnection(_ connection: StoredPSAConnection) async throws
    func psaConnection(named name: String) async throws -> StoredPSAConnection?
    func psaConnections() async throws -> [StoredPSAConnection]
    func deletePSAConnection(named name: String) async throws -> Bool
    /// Takes the ticket for importing: true when this caller is the one to import it (first seen, an
    /// earlier outcome in `retaking`, or an import left `importing` since before `staleBefore`); false
    /// when another import has it or has done it.
    func claimPSAImport(_ record: PSAImport, retaking: Set<PSAImport.Outcome>, staleBefore: Date) async throws -> Bool
    func updatePSAImport(_ record: PSAImport) async throws
    func psaImport(connection: String, ticket: String) async throws -> PSAImport?
    /// Newest first.
    func psaImports(tenant: String?, limit: Int) async throws -> [PSAImport]
}

extension RunStore {
    public func createRun(_ run: RunRecord) async throws { try await createRun(run, leaseOwner: nil, until: nil) }

    public func runs(limit: Int) async throws -> [RunSummary] { try await runs(limit: limit, tenant: nil, userPrincipalName: nil) }
}

/// A PSA instance Turnover signs in to. The secret is sealed; the other fields are what the PSA
/// calls them (see `PSAConnection` in PSAClients).
public struct StoredPSAConnection: Codable, Sendable, Equatable {
    public var name: String
    /// "halopsa", "connectwise" or "autotask".
    public var kind: String
    public var url: String
    public var clientId: String
    public var account: String?
    public var username: String?
    public var authURL: String?
    /// AES-GCM sealed secret (base64).
    public var sealedSecret: String
    /// What the PSA said Turnover signed in as, when the connection was last verified.
    public var verifiedAs: String?
    public var createdAt: Date

    public init(
        name: String, kind: String, url: String, clientId: String, account: String?, username: String?, authURL: String?,
        sealedSecret: String, verifiedAs: String?, createdAt: Date
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.clientId = clientId
        self.account = account
        self.username = username
        self.authURL = authURL
        self.sealedSecret = sealedSecret
        self.verifiedAs = verifiedAs
        self.createdAt = createdAt
    }
}

/// A PSA ticket Turnover has looked at, and what came of it. One per (connection, ticket).
public struct PSAImport: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// Being read and submitted now.
        case importing
        /// An offboarding was submitted from it.
        case submitted
        /// It reads as an offboarding, but a person or date is ambiguous or missing: a note says what.
        case needsAttention = "needs-attention"
        /// It does not read as an offboarding; nothing was done.
        case skipped
        /// Reading or submitting failed (the PSA or the tenant could not be reached); tried again.
        case failed
    }

    public var connection: String
    public var ticket: String
    public var tenant: String
    public var outcome: Outcome
    /// Who took the ticket (a server's lease owner, or an operator), so a claim can be told apart.
    public var claim: String
    public var at: Date
    public var summary: String?
    public var offboarding: OffboardingID?
    /// Why, in words: the blockers, the error, or who imported it.
    public var detail: String

    public init(
        connection: String, ticket: String, tenant: String, outcome: Outcome, claim: String, at: Date, summary: String? = nil,
        offboarding: OffboardingID? = nil, detail: String = ""
    ) {
        self.connection = connection
        self.ticket = ticket
        self.tenant = tenant
        self.outcome = outcome
        self.claim = claim
        self.at = at
        self.summary = summary
        self.offboarding = offboarding
        self.detail = detail
    }
}
