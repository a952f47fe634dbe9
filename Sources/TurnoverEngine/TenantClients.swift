public import AsyncHTTPClient
public import Foundation
public import MicrosoftGraph
import Synchronization
public import TurnoverCore
public import TurnoverStore

/// One Microsoft client per stored tenant, built on first use over one shared HTTP client, so its
/// token cache and connection pool serve every request and run of that tenant.
public final class TenantClients: Sendable {
    public let workspace: Workspace
    private let http: HTTPClient
    private let clients = Mutex<[String: (record: StoredTenant, client: MicrosoftClient)]>([:])

    public init(workspace: Workspace, http: HTTPClient) {
        self.workspace = workspace
        self.http = http
    }

    /// The tenant as stored, or nil when there is none of that name.
    public func tenant(_ name: String) async throws -> StoredTenant? { try await workspace.store.tenant(named: name) }

    /// The client for `tenant`, rebuilt when the stored record changed (a new secret, a new URL).
    public func client(for tenant: StoredTenant) throws -> MicrosoftClient {
        if let cached = clients.withLock({ $0[tenant.name] }), cached.record == tenant { return cached.client }
        let client = MicrosoftClient(connection: try workspace.connection(for: tenant), transport: .asyncHTTPClient(http))
        clients.withLock { $0[tenant.name] = (tenant, client) }
        return client
    }

    /// The offboarding service for a stored tenant.
    public func service(
        for tenant: StoredTenant, runnerOptions: RunnerOptions = RunnerOptions(), leaseOwner: String? = nil
    ) throws -> OffboardingService {
        var service = OffboardingService(
            store: workspace.store, client: try client(for: tenant), tenantName: tenant.name, runnerOptions: runnerOptions)
        service.leaseOwner = leaseOwner
        return service
    }

    /// The tenant's policy with `overrides` applied; a bad override is refused with its reason.
    public func policy(for tenant: StoredTenant, overrides: [String]) throws -> Policy {
        var policy = try workspace.policy(for: tenant)
        do { try policy.apply(overrides: overrides) } catch {
            throw OffboardingService.Refusal(description: "\(error)")
        }
        return policy
    }
}
