public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization
public import TurnoverCore
public import TurnoverStore

/// Carries out approved offboardings: re-checks live state, starts the run, executes it under a
/// lease, and takes over runs whose lease expired (a process that was killed) or that were left
/// running at a crash. Several workers, in one process or several, share one store safely.
///
/// On a graceful shutdown no new step starts; the steps in flight finish and the leases are released,
/// so another worker (or this one, restarted) resumes at once.
public struct RunWorker: Service {
    public struct Settings: Sendable {
        public var leaseDuration: Duration = .seconds(30)
        public var pollInterval: Duration = .milliseconds(200)
        public var maxConcurrentRuns = 32
        /// A scheduled start this much later than planned was missed (the service was down), not
        /// merely polled late; the run says so.
        public var scheduleGrace: TimeInterval = 120
        public var runnerOptions = RunnerOptions()
        public init() {}
    }

    public let desk: OffboardingDesk
    /// This worker's lease identity: unique per process.
    public let owner: String
    public var settings: Settings
    public var logger: Logger

    public init(desk: OffboardingDesk, owner: String, settings: Settings = Settings(), logger: Logger) {
        self.desk = desk
        self.owner = owner
        self.settings = settings
        self.logger = logger
    }

    var store: any TurnoverStore { desk.store }
    var now: Date { desk.now() }

    /// How much work is in flight (starts and runs here; deliveries in the notification dispatcher).
    final class InFlight: Sendable {
        private let value = Mutex(0)
        func add(_ delta: Int) { value.withLock { $0 += delta } }
        var current: Int { value.withLock { $0 } }
    }

    public func run() async throws {
        let stopping = OnceFlag()
        let active = InFlight()
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var lastExpiry = Date.distantPast
                while !stopping.isSet {
                    if active.current >= settings.maxConcurrentRuns {
                        await group.next()
                        continue
                    }
                    do {
                        if now.timeIntervalSince(lastExpiry) > 5 {
                            lastExpiry = now
                            try await desk.expireDue()
                        }
                        if let id = try await store.claim(.offboardings, id: nil, owner: owner, until: leaseEnd(), now: now) {
                            active.add(1)
                            group.addTask {
                                await self.start(OffboardingID(id), stopping: stopping)
                                active.add(-1)
                            }
                            continue
                        }
                        if let id = try await store.claim(.runs, id: nil, owner: owner, until: leaseEnd(), now: now) {
                            active.add(1)
                            group.addTask {
                                await self.execute(RunID(id), stopping: stopping)
                                active.add(-1)
                            }
                            continue
                        }
                    } catch {
                        logger.error("worker could not claim work", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: settings.pollInterval)
                }
                await group.waitForAll()
            }
            try await store.releaseAll(owner: owner)
            logger.info("worker stopped; leases released", metadata: ["owner": "\(owner)"])
        } onGracefulShutdown: {
            stopping.set()
        }
    }

    func leaseEnd() -> Date { now.addingTimeInterval(Double(settings.leaseDuration.components.seconds)) }

    /// Re-checks an approved offboarding against live state and starts its run, or asks again.
    func start(_ id: OffboardingID, stopping: OnceFlag) async {
        var logger = logger
        logger[metadataKey: "offboarding"] = "\(id)"
        do {
            guard let (request, version) = try await store.offboarding(id), request.status == .approved || request.status == .waiting,
                let tenant = try await desk.clients.tenant(request.tenant)
            else {
                try await store.release(.offboardings, id: id.rawValue, owner: owner)
                return
            }
            let service = try desk.clients.service(for: tenant, runnerOptions: settings.runnerOptions)
            if request.status == .waiting {
                try await planStage(request, version: version, service: service, tenant: tenant)
                try await store.release(.offboardings, id: id.rawValue, owner: owner)
                return
            }
            let proposal: OffboardingService.Proposal
            if let undone = request.undoes {
                guard let runId = try await store.offboarding(undone)?.request.runId else {
                    throw OffboardingService.Refusal(description: "The offboarding this undoes has no run.")
                }
                proposal = try await service.planUndo(runId, only: request.undoSteps)
            } else {
                var fresh = try await service.plan(
                    request.userPrincipalName, policy: try desk.clients.policy(for: tenant, overrides: request.overrides))
                fresh.plan = fresh.plan.dropping(Set(request.droppedSteps)).plan
                proposal = fresh
            }
            var updated = request
            let changes = PlanFingerprint.materialChanges(approved: request.plan, current: proposal.plan)
            if !changes.isEmpty {
                let note = "Not started: live state changed since the approval (\(changes.joined(separator: "; "))). Approve the new plan."
                updated.replacePlan(proposal.plan, snapshot: proposal.snapshot, planHash: PlanFingerprint.hash(proposal.plan), note: note)
                if try await store.updateOffboarding(updated, expectedVersion: version) {
                    try await desk.audit("worker", "offboarding.replanned", updated, note)
                }
                try await store.release(.offboardings, id: id.rawValue, owner: owner)
                return
            }
            try service.requireConfirmations(proposal.plan, confirmedWipe: request.confirmedWipe)
            var run = RunRecord(
                id: RunID.make(now: now), plan: proposal.plan, snapshot: proposal.snapshot, createdAt: now,
                operator_: request.submittedBy.rawValue)
            run.offboarding = request.id
            run.approvals = request.approvals
            if let runAt = request.runAt {
                run.schedule = ["scheduled for \(request.timing ?? ISO8601DateFormatter().string(from: runAt))"]
                // A stage's lateness was judged when it was planned; its approval came after.
                let late = (request.stagePlannedAt ?? now).timeIntervalSince(runAt)
                if late > settings.scheduleGrace {
                    // A stage missed while no `turnover serve` was running starts now, and says so.
                    let note = "Started \(Int(late / 60)) minute(s) late: the service was not running at the scheduled time."
                    run.schedule?.append(note)
                    updated.notes.append(note)
                }
            }
            updated.runId = run.id
            updated.status = .running
            guard try await store.startRun(run, for: updated, expectedVersion: version, leaseOwner: owner, until: leaseEnd()) else {
                // Cancelled (or otherwise changed) at this very moment: it stays as it is now.
                try await store.release(.offboardings, id: id.rawValue, owner: owner)
                return
            }
            try await desk.audit(
                "worker \(owner)", run.schedule?.count == 2 ? "run.started-late" : "run.started", updated,
                "run \(run.id), plan \(PlanFingerprint.hash(run.plan).prefix(12)), approved by \(request.approvals.map(\.operator_.rawValue).joined(separator: ", "))"
            )
            await execute(run.id, stopping: stopping)
        } catch {
            // Kept under lease until it expires: the next attempt comes after the lease, not in a tight loop.
            logger.error("could not start the approved offboarding; retrying after the lease", metadata: ["error": "\(error)"])
        }
    }

    /// A waiting stage's time has come: plan it from live state; it then waits for approval like
    /// any plan (or is blocked, on record). Planned later than its time, it says so.
    func planStage(_ request: OffboardingRequest, version: Int, service: OffboardingService, tenant: StoredTenant) async throws {
        let policy = try desk.clients.policy(for: tenant, overrides: request.overrides)
        let proposal = try await service.plan(request.userPrincipalName, policy: policy)
        var updated = request
        updated.planStage(
            proposal.plan, snapshot: proposal.snapshot, planHash: PlanFingerprint.hash(proposal.plan), approval: policy.approval, at: now)
        var action = "offboarding.stage-planned"
        if let runAt = request.runAt, now.timeIntervalSince(runAt) > settings.scheduleGrace {
            updated.notes.append(
                "Planned \(Int(now.timeIntervalSince(runAt) / 60)) minute(s) late: the service was not running at the stage's time.")
            action = "offboarding.stage-planned-late"
        }
        if try await store.updateOffboarding(updated, expectedVersion: version) {
            try await desk.audit(
                "worker \(owner)", action, updated, "\(updated.plan.runnableSteps.count) steps, status \(updated.status.rawValue)")
        }
    }

    /// Executes (or resumes) a run this worker holds the lease on; the service renews the lease as
    /// it goes and releases it at the end.
    func execute(_ id: RunID, stopping: OnceFlag) async {
        var logger = logger
        logger[metadataKey: "run"] = "\(id)"
        do {
            guard let stored = try await store.run(id), let tenant = try await desk.clients.tenant(stored.tenant) else {
                logger.warning("run or its tenant is gone; left alone")
                return
            }
            let service = try desk.clients.service(for: tenant, runnerOptions: settings.runnerOptions, leaseOwner: owner)
            let (events, continuation) = AsyncStream.makeStream(of: RunEvent.self)
            let auditor = Task {
                var recorded: Set<StepID> = []
                for await event in events where event.step.status.isFinal && recorded.insert(event.step.id).inserted {
                    if let started = event.step.startedAt, let ended = event.step.finishedAt {
                        Metrics.Timer(
                            label: "turnover_step_duration_seconds",
                            dimensions: [("kind", event.step.kind.rawValue), ("status", event.step.status.rawValue)]
                        ).recordSeconds(ended.timeIntervalSince(started))
                    }
                    try? await store.appendAudit(
                        AuditEvent(
                            actor: "worker \(owner)", action: "step.finished", tenant: stored.tenant, subject: id.rawValue,
                            detail: "\(event.step.id): \(event.step.status.rawValue)\(event.step.error.map { " — \($0)" } ?? "")"),
                        at: now)
                }
            }
            let finished: RunRecord
            do {
                finished = try await service.execute(id, onEvent: { continuation.yield($0) }, shouldStop: { stopping.isSet })
            } catch {
                continuation.finish()
                await auditor.value
                throw error
            }
            continuation.finish()
            await auditor.value
            if finished.status != .running && finished.status != .planned {
                try await follow(finished)
            }
        } catch {
            logger.error("run stopped with an error; it resumes when its lease expires", metadata: ["error": "\(error)"])
        }
    }

    /// Brings the offboarding's status in line with its finished run, and records the end.
    func follow(_ run: RunRecord) async throws {
        Metrics.Counter(label: "turnover_runs_finished_total", dimensions: [("tenant", run.tenant), ("status", run.status.rawValue)])
            .increment()
        guard let id = run.offboarding else {
            try await store.appendAudit(
                AuditEvent(
                    actor: "worker", action: "run.finished", tenant: run.tenant, subject: run.id.rawValue, detail: run.status.rawValue),
                at: now)
            return
        }
        for _ in 0..<5 {
            guard var (request, version) = try await store.offboarding(id) else { return }
            request.follow(run.status)
            if try await store.updateOffboarding(request, expectedVersion: version) {
                try await desk.audit("worker", "run.finished", request, "run \(run.id): \(run.status.rawValue)")
                return
            }
        }
    }
}

/// Clears expired leases at a steady pace, so the work of a process that died shows as free (and in
/// the log) even when no worker is idle enough to notice.
public struct LeaseReaper: Service {
    public let store: any TurnoverStore
    public var interval: Duration
    public var now: @Sendable () -> Date
    public var logger: Logger

    public init(
        store: any TurnoverStore, interval: Duration = .seconds(5), now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.store = store
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                var reaped = try await store.reapExpiredLeases(now: now())
                // Leases of processes of this host that were killed: free now, not at their expiry.
                for work in [LeasedWork.offboardings, .runs] {
                    for (id, holder) in try await store.leaseHolders(work) where LeaseOwner.isDeadLocalProcess(holder) {
                        if try await store.takeOver(work, id: id, from: holder, to: "reaper", until: .distantPast) { reaped += 1 }
                    }
                }
                if reaped > 0 { logger.notice("leases of ended processes cleared", metadata: ["count": "\(reaped)"]) }
            } catch {
                logger.error("could not reap leases", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
