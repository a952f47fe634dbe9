public import Foundation
import Logging
public import MicrosoftGraph
public import TurnoverCore
public import TurnoverStore

public struct RunnerOptions: Sendable {
    /// How long licence removal waits for Exchange to report the mailbox as shared.
    public var conversionTimeout: Duration = .seconds(900)
    public var pollInitial: Duration = .milliseconds(500)
    public var pollMaximum: Duration = .seconds(10)
    /// How long a resumed step whose earlier attempt may have taken effect waits for that effect to
    /// become visible before it is applied again (Exchange conversions show up late).
    public var inDoubtGrace: Duration = .seconds(20)
    public init() {}
}

/// A change in a run, for live progress displays.
public struct RunEvent: Sendable {
    public var step: StepRecord
    public var elapsed: TimeInterval
}

/// Executes a stored run durably: each step's attempt is written before it touches the tenant and its
/// outcome right after, independent steps run concurrently (their requests batched by the client),
/// and a resumed run re-checks live state so nothing is applied twice.
public struct Runner: Sendable {
    public let store: any TurnoverStore
    public let client: MicrosoftClient
    public var options: RunnerOptions
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void
    public var onEvent: @Sendable (RunEvent) -> Void

    public init(
        store: any TurnoverStore, client: MicrosoftClient, options: RunnerOptions = RunnerOptions(),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }
    ) {
        self.store = store
        self.client = client
        self.options = options
        self.now = now
        self.sleep = sleep
        self.onEvent = onEvent
    }

    public struct MissingRun: Error, CustomStringConvertible {
        public var id: RunID
        public var description: String { "No run \(id)." }
    }

    public func execute(_ id: RunID) async throws -> RunRecord {
        guard var run = try await store.run(id) else { throw MissingRun(id: id) }
        if run.plan.isBlocked || run.status == .succeeded || run.status == .failed || run.status == .partiallySucceeded { return run }
        let resuming = run.startedAt != nil
        let inDoubt = resuming ? try await store.unfinishedAttempts(run: id) : [:]
        if run.startedAt == nil { run.startedAt = now() }
        run.status = .running
        try await store.updateRun(run)
        let started = run.startedAt!
        let actions = StepActions(
            client: client, upn: run.user.userPrincipalName, userId: run.user.id, runStarted: started, options: options, now: now,
            sleep: sleep)

        var records = Dictionary(uniqueKeysWithValues: run.steps.map { ($0.id, $0) })
        let planned = Dictionary(uniqueKeysWithValues: run.plan.steps.map { ($0.id, $0) })
        var launched: Set<StepID> = []
        let order = run.steps.map(\.id)
        let runId = id
        let containmentSteps = [StepID(.blockSignIn), StepID(.revokeSessions)].filter { records[$0] != nil }
        // Contained only when sign-in is blocked and sessions are revoked (done now or found done), never
        // merely because those steps ended: a failed block is no containment.
        func containedNow() -> Bool {
            run.containedAt == nil && !containmentSteps.isEmpty
                && containmentSteps.allSatisfy { [.succeeded, .skipped].contains(records[$0]?.status) }
        }

        try await withThrowingTaskGroup(of: StepRecord.self) { group in
            /// Launches every step whose dependencies have finished and blocks those behind a failure,
            /// repeating because a block can cascade to steps listed earlier.
            func launchReady() async throws {
                var changed = true
                while changed {
                    changed = false
                    for stepId in order where !launched.contains(stepId) {
                        guard let record = records[stepId], !record.status.isFinal, let step = planned[stepId] else { continue }
                        let dependencies = step.dependsOn.compactMap { records[$0] }
                        if let broken = dependencies.first(where: { $0.status == .failed || $0.status == .blocked }) {
                            var blocked = record
                            blocked.status = .blocked
                            blocked.reason = "not run because '\(broken.title)' \(broken.status.rawValue)"
                            blocked.finishedAt = now()
                            records[stepId] = blocked
                            changed = true
                            try await store.updateStep(run: runId, blocked)
                            onEvent(RunEvent(step: blocked, elapsed: now().timeIntervalSince(started)))
                            continue
                        }
                        guard dependencies.allSatisfy({ $0.status.isFinal }) else { continue }
                        launched.insert(stepId)
                        let live = resuming || record.attempts > 0
                        let doubtful = inDoubt[stepId] != nil
                        group.addTask {
                            try await self.perform(
                                step, record: record, run: runId, actions: actions, live: live, inDoubt: doubtful, started: started)
                        }
                    }
                }
            }
            try await launchReady()
            while let finished = try await group.next() {
                records[finished.id] = finished
                if containedNow() {
                    run.containedAt = now()
                    try await store.updateRun(run)
                }
                try await launchReady()
            }
        }
        run.steps = order.compactMap { records[$0] }
        // Both containment steps may have been final before this execution (a resumed run).
        if containedNow() { run.containedAt = now() }
        run.licencesFreed = Self.licencesFreed(run)
        run.finishedAt = now()
        run.refreshStatus()
        try await store.updateRun(run)
        return run
    }

    static func licencesFreed(_ run: RunRecord) -> [String] {
        var freed: [String] = []
        for step in run.steps where step.status == .succeeded {
            guard let planned = run.plan.step(step.id) else { continue }
            if step.kind == .removeLicences { freed += (planned.parameters["skus"] ?? "").split(separator: ",").map(String.init) }
            if step.kind == .leaveGroup, planned.parameters["licensing"] == "true" {
                freed += run.snapshot.licences.filter { $0.viaGroupId == planned.parameters["groupId"] }.map(\.partNumber)
            }
        }
        return freed
    }

    private func perform(
        _ step: PlannedStep, record: StepRecord, run: RunID, actions: StepActions, live: Bool, inDoubt: Bool, started: Date
    ) async throws -> StepRecord {
        var record = record
        let trace = RequestTrace()
        let attempt = record.attempts + 1
        record.status = .running
        record.attempts = attempt
        record.startedAt = record.startedAt ?? now()
        // Written before any effect: a crash from here on leaves an attempt that resume treats as in doubt.
        try await store.updateStep(run: run, record)
        try await store.startAttempt(run: run, step: step.id, number: attempt, at: now())
        onEvent(RunEvent(step: record, elapsed: now().timeIntervalSince(started)))
        do {
            var done: String?
            if live {
                done = try await actions.alreadyDone(step)
                if done == nil, inDoubt {
                    // The earlier attempt may have worked but not be visible yet: give it time before repeating.
                    let deadline = now().addingTimeInterval(
                        Double((step.kind == .convertToShared ? options.inDoubtGrace : .seconds(2)).components.seconds))
                    while done == nil, now() < deadline {
                        try await sleep(.milliseconds(500))
                        done = try await actions.alreadyDone(step)
                    }
                }
            }
            if let done {
                record.status = .skipped
                record.reason = "already done: \(done)"
            } else {
                let outcome = try await RequestTrace.$current.withValue(trace) { try await actions.apply(step, live: live) }
                record.status = .succeeded
                record.before = outcome.before
                record.after = outcome.after
                record.reason = outcome.note
            }
        } catch let error as MicrosoftAPIError {
            record.status = .failed
            record.error = RecordedError(
                status: error.status, code: error.code, message: error.message, requestId: error.requestId, date: error.date,
                operation: error.operation)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            record.status = .failed
            record.error = RecordedError(message: "\(error)")
        }
        let carried = trace.recorded.map { CarriedRequest(operation: $0.operation, requestId: $0.requestId) }
        if !carried.isEmpty { record.requests = (record.requests ?? []) + carried }
        record.finishedAt = now()
        try await store.finishAttempt(run: run, step: step.id, number: attempt, at: now(), outcome: record.status.rawValue)
        try await store.updateStep(run: run, record)
        onEvent(RunEvent(step: record, elapsed: now().timeIntervalSince(started)))
        return record
    }
}
