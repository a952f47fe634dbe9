public import Foundation
public import TurnoverCore
public import TurnoverStore

/// The team's flow around the offboarding service: submit a plan, approve it with four eyes, reject
/// or cancel it, submit an undo. Every decision is written to the audit chain.
///
/// Roles and tenant scope are the caller's to check (the server does, per route); the four-eyes
/// rules are ``OffboardingRequest``'s.
public struct OffboardingDesk: Sendable {
    public let clients: TenantClients
    public var now: @Sendable () -> Date

    public init(clients: TenantClients, now: @escaping @Sendable () -> Date = { Date() }) {
        self.clients = clients
        self.now = now
    }

    public var store: any TurnoverStore { clients.workspace.store }

    /// Something asked for that does not exist (or is outside the caller's view).
    public struct NotFound: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public func tenant(_ name: String) async throws -> StoredTenant {
        guard let tenant = try await clients.tenant(name) else { throw NotFound(description: "No tenant '\(name)'.") }
        return tenant
    }

    public func offboarding(_ id: OffboardingID) async throws -> (request: OffboardingRequest, version: Int) {
        guard let found = try await store.offboarding(id) else { throw NotFound(description: "No offboarding \(id).") }
        return found
    }

    /// Plans from live state and records the plan, waiting for approval (or blocked, on record).
    public func submit(
        tenant: StoredTenant, userPrincipalName: String, overrides: [String], confirmWipe: Bool, by submitter: OperatorName,
        timing: RunTiming = .now, ticket: TicketReference? = nil
    ) async throws -> OffboardingRequest {
        // A staged timeline, unless the submitter chose the steps: the first stage is planned now.
        let stages = overrides.contains { $0.hasPrefix("steps=") } ? [] : try clients.policy(for: tenant, overrides: overrides).stages
        let overrides = stages.first.map { overrides + [$0.stepsOverride] } ?? overrides
        let policy = try clients.policy(for: tenant, overrides: overrides)
        let service = try clients.service(for: tenant)
        let proposal = try await service.plan(userPrincipalName, policy: policy)
        try service.requireConfirmations(proposal.plan, confirmedWipe: confirmWipe)
        let at = now()
        let schedule: (runAt: Date, timing: String)?
        do {
            schedule = try timing.resolve(snapshot: proposal.snapshot, policy: policy, now: at)
        } catch {
            throw OffboardingService.Refusal(description: error.description)
        }
        var request = OffboardingRequest(
            id: OffboardingID.make(now: at), tenant: tenant.name, plan: proposal.plan, snapshot: proposal.snapshot,
            planHash: PlanFingerprint.hash(proposal.plan), submittedBy: submitter, submittedAt: at, approval: policy.approval,
            overrides: overrides, confirmedWipe: confirmWipe)
        request.ticket = ticket
        if let ticket { request.notes.append("From \(ticket.description)\(ticket.summary.map { ": “\($0)”" } ?? "").") }
        if let schedule {
            request.runAt = schedule.runAt
            request.timing = schedule.timing
            request.notes.append("Scheduled: once approved, it runs at \(schedule.timing).")
        }
        if let first = stages.first {
            request.stage = first.name
            request.timeline = request.id
            request.notes.append(
                "Stage '\(first.name)' (T) of a staged timeline: "
                    + stages.map { "\($0.name) at \($0.label)" }.joined(separator: ", ") + ".")
        }
        try await store.createOffboarding(request)
        try await audit(
            submitter.rawValue, "offboarding.submitted", request,
            "\(request.plan.runnableSteps.count) steps, plan \(request.planHash.prefix(12)), status \(request.status.rawValue)")
        // Later stages wait, each its own offboarding, listed and cancellable until it is planned.
        let start = request.runAt ?? at
        for stage in stages.dropFirst() {
            let waiting = OffboardingRequest.waitingStage(
                stage, of: request, runAt: start.addingTimeInterval(stage.after), id: OffboardingID.make(now: at))
            try await store.createOffboarding(waiting)
            try await audit(
                submitter.rawValue, "offboarding.stage-waiting", waiting, "stage \(stage.name) due \(waiting.runAt.map { "\($0)" } ?? "")")
        }
        return request
    }

    /// What waits for its time, soonest first: scheduled offboardings not yet started, and the later
    /// stages of timelines (waiting or held, also when overdue). The CLI and the dashboard list these.
    public func dueLater(tenants: [String]?, limit: Int = 200) async throws -> [OffboardingRequest] {
        let at = now()
        var due: [OffboardingRequest] = []
        for status in [OffboardingRequest.Status.awaitingApproval, .approved, .waiting, .held] {
            due += try await store.offboardings(OffboardingFilter(tenants: tenants, status: status), limit: limit, after: nil)
                .filter { ($0.runAt ?? at) > at || $0.status == .waiting || $0.status == .held }
        }
        return due.sorted { ($0.runAt ?? at, $0.id.rawValue) < ($1.runAt ?? at, $1.id.rawValue) }
    }

    /// The stages of `request`'s timeline, in order (just the request when it has none).
    public func timeline(of request: OffboardingRequest) async throws -> [OffboardingRequest] {
        guard let timeline = request.timeline else { return [request] }
        let all = try await store.offboardings(OffboardingFilter(tenants: [request.tenant]), limit: 500, after: nil)
        return all.filter { $0.timeline == timeline && $0.userPrincipalName == request.userPrincipalName }.sorted {
            ($0.runAt ?? $0.submittedAt, $0.id.rawValue) < ($1.runAt ?? $1.submittedAt, $1.id.rawValue)
        }
    }

    /// Submits taking back a finished offboarding's reversible changes, for approval like any plan.
    public func submitUndo(of id: OffboardingID, steps: [String]?, by submitter: OperatorName) async throws -> OffboardingRequest {
        let (original, _) = try await offboarding(id)
        guard let runId = original.runId, original.status.isFinal else {
            throw OffboardingService.Refusal(description: "Offboarding \(id) has not run; there is nothing to undo.")
        }
        let tenant = try await tenant(original.tenant)
        let proposal = try await clients.service(for: tenant).planUndo(runId, only: steps)
        let policy = try clients.policy(for: tenant, overrides: [])
        let at = now()
        var request = OffboardingRequest(
            id: OffboardingID.make(now: at), tenant: tenant.name, plan: proposal.plan, snapshot: proposal.snapshot,
            planHash: PlanFingerprint.hash(proposal.plan), submittedBy: submitter, submittedAt: at, approval: policy.approval,
            overrides: [], confirmedWipe: false)
        request.undoes = id
        request.undoSteps = steps
        try await store.createOffboarding(request)
        try await audit(
            submitter.rawValue, "offboarding.undo-submitted", request, "undoes \(id), \(request.plan.runnableSteps.count) steps")
        return request
    }

    /// Approves as `approver`. With `dropSteps`, the plan is re-made from live state without those
    /// steps (and the steps that need them), the earlier approvals lapse, and `approver`'s approval
    /// counts for the changed plan.
    public func approve(
        _ id: OffboardingID, by approver: OperatorName, planHash: String?, dropSteps: [StepID], comment: String?
    ) async throws -> OffboardingRequest {
        var (request, version) = try await offboarding(id)
        if !dropSteps.isEmpty {
            guard request.undoes == nil else {
                throw OffboardingService.Refusal(description: "An undo is approved as planned; submit a narrower undo instead.")
            }
            guard request.status == .awaitingApproval else {
                throw OffboardingRequest.Refusal(
                    kind: .conflict, description: "This offboarding is \(request.status.rawValue), not awaiting approval.")
            }
            let unknown = Set(dropSteps).subtracting(request.plan.steps.map(\.id))
            guard unknown.isEmpty else {
                throw OffboardingService.Refusal(
                    description: "The plan has no step \(unknown.map(\.rawValue).sorted().joined(separator: ", ")).")
            }
            let tenant = try await tenant(request.tenant)
            let proposal = try await clients.service(for: tenant).plan(
                request.userPrincipalName, policy: try clients.policy(for: tenant, overrides: request.overrides))
            let (plan, dropped) = proposal.plan.dropping(Set(dropSteps + request.droppedSteps))
            let before = Set(request.plan.steps.map(\.id))
            let added = plan.steps.filter { !before.contains($0.id) }.map(\.title)
            var note = "\(approver) approved with changes: left out \(dropped.map(\.rawValue).joined(separator: ", "))."
            if !added.isEmpty { note += " Live state added: \(added.joined(separator: ", "))." }
            request.droppedSteps = dropped
            request.replacePlan(plan, snapshot: proposal.snapshot, planHash: PlanFingerprint.hash(plan), note: note)
            guard request.status == .awaitingApproval else {
                return try await save(request, version: version, actor: approver, action: "offboarding.replanned", detail: note)
            }
            try request.approve(by: approver, planHash: request.planHash, comment: comment, at: now())
            return try await save(request, version: version, actor: approver, action: "offboarding.approved", detail: note)
        }
        try request.approve(by: approver, planHash: planHash ?? request.planHash, comment: comment, at: now())
        return try await save(
            request, version: version, actor: approver, action: "offboarding.approved",
            detail: "plan \(request.planHash.prefix(12)), \(request.approvals.count) of \(request.quorum) approvals")
    }

    public func reject(_ id: OffboardingID, by approver: OperatorName, reason: String) async throws -> OffboardingRequest {
        var (request, version) = try await offboarding(id)
        try request.reject(by: approver, reason: reason, at: now())
        return try await save(request, version: version, actor: approver, action: "offboarding.rejected", detail: reason)
    }

    public func cancel(_ id: OffboardingID, by canceller: OperatorName, reason: String) async throws -> OffboardingRequest {
        var (request, version) = try await offboarding(id)
        try request.cancel(by: canceller, reason: reason, at: now())
        return try await save(request, version: version, actor: canceller, action: "offboarding.cancelled", detail: reason)
    }

    /// Holds a waiting stage of a staged timeline: it is not planned at its time until released.
    public func hold(_ id: OffboardingID, by holder: OperatorName, reason: String) async throws -> OffboardingRequest {
        var (request, version) = try await offboarding(id)
        try request.hold(by: holder, reason: reason, at: now())
        return try await save(request, version: version, actor: holder, action: "offboarding.held", detail: reason)
    }

    public func release(_ id: OffboardingID, by releaser: OperatorName) async throws -> OffboardingRequest {
        var (request, version) = try await offboarding(id)
        try request.release(by: releaser, at: now())
        return try await save(
            request, version: version, actor: releaser, action: "offboarding.released",
            detail: "planned at \(request.runAt.map { "\($0)" } ?? "its time")")
    }

    /// Marks the offboardings that waited past their expiry as expired; returns how many.
    @discardableResult public func expireDue() async throws -> Int {
        var expired = 0
        for request in try await store.offboardings(OffboardingFilter(status: .awaitingApproval), limit: 200, after: nil)
        where request.isExpired(at: now()) {
            guard let (current, version) = try await store.offboarding(request.id), current.isExpired(at: now()) else { continue }
            var updated = current
            updated.status = .expired
            updated.notes.append("Expired at \(current.expiresAt) with \(current.approvals.count) of \(current.quorum) approvals.")
            if try await store.updateOffboarding(updated, expectedVersion: version) {
                try await audit("worker", "offboarding.expired", updated, "")
                expired += 1
            }
        }
        return expired
    }

    private func save(
        _ request: OffboardingRequest, version: Int, actor: OperatorName, action: String, detail: String
    ) async throws -> OffboardingRequest {
        guard try await store.updateOffboarding(request, expectedVersion: version) else {
            throw OffboardingRequest.Refusal(
                kind: .conflict, description: "Someone else changed this offboarding at the same moment; reload it.")
        }
        try await audit(actor.rawValue, action, request, detail)
        return request
    }

    public func audit(_ actor: String, _ action: String, _ request: OffboardingRequest, _ detail: String) async throws {
        try await store.appendAudit(
            AuditEvent(actor: actor, action: action, tenant: request.tenant, subject: request.id.rawValue, detail: detail), at: now())
    }
}
