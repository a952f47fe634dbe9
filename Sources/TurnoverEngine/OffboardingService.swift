public import Foundation
public import MicrosoftGraph
import Synchronization
public import TurnoverCore
public import TurnoverStore

/// A flag set once from one task and read by others: a shutdown asked for, a lease lost.
final class OnceFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// The offboarding flow for one tenant, shared by the CLI and the server: plan from live state,
/// record a blocked plan, start an approved one, execute and resume it durably, and test the app's
/// permissions per step.
public struct OffboardingService: Sendable {
    public let store: any RunStore
    public let client: MicrosoftClient
    /// The tenant's name as runs record it.
    public let tenantName: String
    public var runnerOptions: RunnerOptions
    public var now: @Sendable () -> Date
    /// Who holds a run's lease while this service executes it (a CLI process, a worker). With a
    /// store that keeps leases, a run held by another process is never executed here too.
    public var leaseOwner: String?
    public static let leaseDuration: TimeInterval = 30

    public init(
        store: any RunStore, client: MicrosoftClient, tenantName: String, runnerOptions: RunnerOptions = RunnerOptions(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.client = client
        self.tenantName = tenantName
        self.runnerOptions = runnerOptions
        self.now = now
    }

    /// A plan with the state it was computed from, before anyone approved it.
    public struct Proposal: Sendable {
        public var plan: Plan
        public var snapshot: LeaverSnapshot
    }

    /// A request the service refuses before touching anything.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads the leaver's live state and computes the plan. Changes nothing. An earlier partial or
    /// failed run for the same leaver counts, so re-planning plans only what is left.
    public func plan(_ userPrincipalName: String, policy: Policy) async throws -> Proposal {
        let upn = try Self.checked(userPrincipalName)
        var (snapshot, people) = try await StateReader(client: client, now: now).readForPlanning(upn, policy: policy)
        var earlier = try await earlierRun(upn: snapshot.user.userPrincipalName, userId: snapshot.user.id)
        if snapshot.manager == nil, let removed = earlier?.removedManager {
            // An earlier run removed the manager link; re-planning still knows whom the leaver worked for.
            snapshot.manager = removed
            people.resolveManager(removed, policy: policy)
        } else {
            earlier?.removedManager = nil
        }
        let plan = Planner.plan(snapshot: snapshot, policy: policy, people: people, tenant: tenantName, now: now(), earlier: earlier)
        return Proposal(plan: plan, snapshot: snapshot)
    }

    /// The leaver's live state as planning reads it. Changes nothing.
    public func liveState(_ userPrincipalName: String, policy: Policy) async throws -> LeaverSnapshot {
        try await StateReader(client: client, now: now).readForPlanning(try Self.checked(userPrincipalName), policy: policy).0
    }

    static func checked(_ userPrincipalName: String) throws -> String {
        let upn = userPrincipalName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !upn.isEmpty else {
            throw Refusal(description: "Give the leaver's user principal name (for example ben.carter@contoso.com).")
        }
        guard !upn.contains(where: { $0 == "/" || $0 == "?" || $0.isNewline }) else {
            throw Refusal(description: "'\(upn)' is not a user principal name.")
        }
        return upn
    }

    /// Stores an approved plan as a run, ready to execute. A blocked plan is stored too, so the
    /// refusal is on record, but it never runs.
    /// A plan that wipes devices needs that confirmed explicitly, beyond approving the plan.
    public func requireConfirmations(_ plan: Plan, confirmedWipe: Bool) throws {
        guard !plan.isBlocked, !confirmedWipe, plan.runnableSteps.contains(where: { $0.kind == WipeManagedDevice.kind }) else { return }
        throw Refusal(
            description:
                "Refused: this plan wipes company-owned devices; confirm the wipe (--confirm-wipe) to allow it. Nothing was changed.")
    }

    /// - Parameter confirmedWipe: the technician confirmed a plan that wipes devices; without it
    ///   such a plan is refused here too, whichever front end asks.
    public func record(_ proposal: Proposal, operator operatorName: String?, confirmedWipe: Bool = false) async throws -> RunRecord {
        try requireConfirmations(proposal.plan, confirmedWipe: confirmedWipe)
        let at = now()
        let run = RunRecord(
            id: RunID.make(now: at), plan: proposal.plan, snapshot: proposal.snapshot, createdAt: at, operator_: operatorName)
        let leased = leaseOwner != nil && store is any TurnoverStore
        try await store.createRun(
            run, leaseOwner: leased ? leaseOwner : nil, until: leased ? at.addingTimeInterval(Self.leaseDuration) : nil)
        return run
    }

    /// Plans taking back a finished run's reversible changes from their recorded before-state, and
    /// lists what cannot come back. Changes nothing; the undo runs as a run of its own.
    public func planUndo(_ id: RunID, only: [String]? = nil) async throws -> Proposal {
        guard let run = try await store.run(id) else { throw Refusal(description: "No run \(id).") }
        guard run.tenant == tenantName else {
            throw Refusal(description: "Run \(id) was made in \(run.tenant), not \(tenantName).")
        }
        do {
            return Proposal(plan: try UndoPlanner.plan(undoing: run, only: only, now: now()), snapshot: run.snapshot)
        } catch let refusal as UndoPlanner.Refusal {
            throw Refusal(description: refusal.description)
        }
    }

    /// Brings a user deleted in the last 30 days back from Entra's deleted items, with its group
    /// memberships. Refuses when no deleted user or more than one matches, or the name is taken again.
    public func restore(_ userPrincipalName: String) async throws -> PersonRef {
        let upn = userPrincipalName.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard upn.contains("@") else { throw Refusal(description: "Give the deleted user's user principal name.") }
        // Entra renames a deleted user to its object id (without dashes) followed by the old name.
        let matches = try await client.deletedUsers().filter { user in
            let name = (user.userPrincipalName ?? "").lowercased()
            return name == upn || name == user.id.replacingOccurrences(of: "-", with: "").lowercased() + upn
        }
        guard let user = matches.first else {
            throw Refusal(description: "No user \(upn) among the deleted users: Entra keeps them for 30 days, then they are gone.")
        }
        guard matches.count == 1 else {
            throw Refusal(
                description: "\(matches.count) deleted users were \(upn): restore one by its object id in the Entra admin centre.")
        }
        if try await client.userIfExists(upn, select: ["id"]) != nil {
            throw Refusal(description: "\(upn) is in use by another user now; rename that user first.")
        }
        let restored = try await client.restoreDeletedUser(user.id)
        return PersonRef(
            id: restored.id, userPrincipalName: restored.userPrincipalName ?? upn,
            displayName: restored.displayName ?? user.displayName ?? upn)
    }

    /// Executes (or resumes) a stored run.
    public func execute(
        _ id: RunID, onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }, shouldStop: @escaping @Sendable () -> Bool = { false }
    ) async throws -> RunRecord {
        var runner = Runner(store: store, tenant: .live(client), options: runnerOptions, now: now, onEvent: onEvent)
        guard let leaseOwner, let leases = store as? any TurnoverStore else {
            runner.shouldStop = shouldStop
            return try await runner.execute(id)
        }
        let until = now().addingTimeInterval(Self.leaseDuration)
        var claimed = try await leases.claim(.runs, id: id.rawValue, owner: leaseOwner, until: until, now: now()) != nil
        if !claimed, let holder = try await leases.leaseHolders(.runs)[id.rawValue], LeaseOwner.isDeadLocalProcess(holder) {
            // Its holder was killed on this machine: nobody is executing it, so no need to wait for the lease to expire.
            claimed = try await leases.takeOver(.runs, id: id.rawValue, from: holder, to: leaseOwner, until: until)
        }
        guard claimed else {
            if let run = try await store.run(id), run.status != .planned, run.status != .running { return run }
            throw Refusal(description: "Run \(id) is being executed by another process (a turnover serve); it finishes there.")
        }
        let lost = OnceFlag()
        runner.shouldStop = { shouldStop() || lost.isSet }
        let now = self.now
        let heartbeat = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(Self.leaseDuration / 3))
                if try await !leases.heartbeat(
                    .runs, id: id.rawValue, owner: leaseOwner, until: now().addingTimeInterval(Self.leaseDuration))
                {
                    lost.set()
                    return
                }
            }
        }
        defer { heartbeat.cancel() }
        let run = try await runner.execute(id)
        heartbeat.cancel()
        if !lost.isSet { try await leases.release(.runs, id: id.rawValue, owner: leaseOwner) }
        return run
    }

    /// The leaver's most recent run in this tenant that was approved, when it ended partially or failed.
    func earlierRun(upn: String, userId: String) async throws -> EarlierRun? {
        for summary in try await store.runs(limit: 50, tenant: tenantName, userPrincipalName: upn) where summary.status != .blocked {
            guard let run = try await store.run(summary.id), run.user.id == userId, run.plan.undoes == nil else { continue }
            guard run.status == .partiallySucceeded || run.status == .failed else { return nil }
            let succeeded = Set(run.steps.filter { $0.status == .succeeded }.map(\.kind))
            return EarlierRun(
                id: run.id, succeeded: succeeded, removedManager: succeeded.contains(RemoveManager.kind) ? run.snapshot.manager : nil)
        }
        return nil
    }

    /// Whether the app holds what one step kind needs.
    public struct PermissionCheck: Sendable, Equatable {
        public var kind: StepKind
        public var requirement: PermissionRequirement
        public var missing: [String]
        public var isGranted: Bool { missing.isEmpty }
    }

    /// The permissions in the app's tokens, and per step kind whether they are enough.
    public func testPermissions() async throws -> (graph: [String], exchange: [String], checks: [PermissionCheck]) {
        let graph = try await client.grantedPermissions(.graph)
        let exchange = (try? await client.grantedPermissions(.exchange)) ?? []
        let granted = Set(graph + exchange)
        let checks = StepRegistry.all.filter { $0.permissions != .none }.map { definition in
            PermissionCheck(
                kind: definition.kind, requirement: definition.permissions, missing: definition.permissions.missing(from: granted))
        }
        return (graph, exchange, checks)
    }
}
