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

/// Where Turnover keeps tenants, runs, steps and attempts. SQLite by default.
///
/// Every write is durable when the call returns: the runner records an attempt before it touches a
/// tenant and the outcome right after, so a crash loses nothing it would need to resume safely.
public protocol TurnoverStore: Sendable {
    func saveTenant(_ tenant: StoredTenant) async throws
    func tenant(named name: String) async throws -> StoredTenant?
    func tenants() async throws -> [StoredTenant]
    func deleteTenant(named name: String) async throws -> Bool

    func createRun(_ run: RunRecord) async throws
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

extension TurnoverStore {
    public func runs(limit: Int) async throws -> [RunSummary] { try await runs(limit: limit, tenant: nil, userPrincipalName: nil) }
}
