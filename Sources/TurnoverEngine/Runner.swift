public import Foundation
import MicrosoftGraph
import Synchronization
public import TurnoverCore
public import TurnoverStore

public struct RunnerOptions: Sendable {
    /// How long a step whose change shows late (a mailbox conversion, a group licence) is polled for.
    public var settleTimeout: Duration = .seconds(900)
    public var pollInitial: Duration = .milliseconds(500)
    public var pollMaximum: Duration = .seconds(10)
    /// How long a resumed step whose earlier attempt may have taken effect waits for that effect to
    /// become visible before it is applied again: long for changes that show late, short otherwise.
    public var inDoubtGraceEventual: Duration = .seconds(20)
    public var inDoubtGraceImmediate: Duration = .seconds(2)
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
///
/// The runner knows no step kind: it asks ``StepRegistry`` for each step's definition, and the
/// ``RunStateMachine`` says what may start.
public struct Runner: Sendable {
    public let store: any RunStore
    public let tenant: TenantOperations
    public var options: RunnerOptions
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void
    public var makePassword: @Sendable () -> String
    public var onEvent: @Sendable (RunEvent) -> Void
    /// Asked before each step starts: when true (a graceful shutdown, a lost lease), no further step
    /// starts, the steps in flight finish, and the run is left running for whoever resumes it.
    public var shouldStop: @Sendable () -> Bool = { false }

    public init(
        store: any RunStore, tenant: TenantOperations, options: RunnerOptions = RunnerOptions(),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        makePassword: @escaping @Sendable () -> String = PasswordGenerator.make,
        onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }
    ) {
        self.store = store
        self.tenant = tenant
        self.options = options
        self.now = now
        self.sleep = sleep
        self.makePassword = makePassword
        self.onEvent = onEvent
    }

    public struct MissingRun: Error, CustomStringConvertible {
        public var id: RunID
        public var description: String { "No run \(id)." }
    }

    public func execute(_ id: RunID) async throws -> RunRecord {
        guard var run = try await store.run(id) else { throw MissingRun(id: id) }
        if run.plan.isBlocked || [.succeeded, .failed, .partiallySucceeded].contains(run.status) { return run }
        let resuming = run.startedAt != nil
        let inDoubt = resuming ? try await store.unfinishedAttempts(run: id) : [:]
        if run.startedAt == nil { run.startedAt = now() }
        run.status = .running
        try await store.updateRun(run)
        let started = run.startedAt!
        let facts = FactBook()
        let context = StepContext(
            userId: run.user.id, userPrincipalName: run.user.userPrincipalName, runStarted: started, tenant: tenant, now: now,
            sleep: sleep, facts: { facts.all }, waitUntil: { condition in try await self.poll(condition) },
            makePassword: makePassword)
        let planned = Dictionary(uniqueKeysWithValues: run.plan.steps.map { ($0.id, $0) })
        // An undo gives access back: none of its steps cuts it.
        let cutsAccess = Set(
            run.plan.steps.filter { $0.reverses == nil && StepRegistry.definition(of: $0.kind)?.cutsAccess == true }.map(\.id))
        var machine = RunStateMachine(steps: run.steps, plan: run.plan, cutsAccess: cutsAccess)
        let runId = id

        try await withThrowingTaskGroup(of: StepRecord.self) { group in
            func startReady() async throws {
                guard !shouldStop() else { return }
                for action in machine.nextActions(now: now()) {
                    switch action {
                    case .block(let record):
                        try await store.updateStep(run: runId, record)
                        onEvent(RunEvent(step: record, elapsed: now().timeIntervalSince(started)))
                    case .launch(let record):
                        guard let step = planned[record.id] else { continue }
                        // An undo is planned from recorded state, not live state: it checks before each change.
                        let live =
                            resuming || record.attempts > 0 || step.reverses != nil
                            || StepRegistry.definition(of: step.kind)?.checksBeforeActing == true
                        let doubtful = inDoubt[record.id] != nil
                        group.addTask {
                            try await self.perform(
                                step, record: record, run: runId, context: context, facts: facts, live: live, inDoubt: doubtful,
                                started: started)
                        }
                    }
                }
            }
            try await startReady()
            while let finished = try await group.next() {
                machine.update(finished)
                if run.containedAt == nil, machine.isContained {
                    run.containedAt = now()
                    try await store.updateRun(run)
                }
                try await startReady()
            }
        }
        run.steps = machine.orderedRecords
        // Every containment step may have been final before this execution (a resumed run).
        if run.containedAt == nil, machine.isContained { run.containedAt = now() }
        run.licencesFreed = machine.licencesFreed
        run.status = machine.status(blocked: run.plan.isBlocked)
        if run.status == .planned || run.status == .running {
            // Stopped before the end: the run stays running, to be resumed.
            run.status = .running
            try await store.updateRun(run)
            return run
        }
        run.finishedAt = now()
        try await store.updateRun(run)
        return run
    }

    /// Polls `condition` with growing intervals until it holds or the settle timeout passes.
    func poll(_ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = now().addingTimeInterval(options.settleTimeout.timeInterval)
        var interval = options.pollInitial
        while true {
            if try await condition() { return true }
            if now() >= deadline { return false }
            try await sleep(interval)
            interval = min(interval * 2, options.pollMaximum)
        }
    }

    private func perform(
        _ step: PlannedStep, record: StepRecord, run: RunID, context: StepContext, facts: FactBook, live: Bool, inDoubt: Bool,
        started: Date
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
            guard let definition = StepRegistry.definition(of: step.kind) else {
                throw StepFailure("this version of Turnover has no step kind '\(step.kind)'")
            }
            var done: String?
            if live {
                done = try await definition.isSatisfied(planned: step, in: context)
                if done == nil, inDoubt {
                    // The earlier attempt may have worked but not be visible yet: give it time before repeating.
                    let grace = definition.settling == .eventual ? options.inDoubtGraceEventual : options.inDoubtGraceImmediate
                    let deadline = now().addingTimeInterval(grace.timeInterval)
                    while done == nil, now() < deadline {
                        try await sleep(.milliseconds(500))
                        done = try await definition.isSatisfied(planned: step, in: context)
                    }
                }
            }
            if let done {
                if step.reverses == nil { facts.add(definition.establishes) }
                record.status = .skipped
                record.reason = "already done: \(done)"
            } else {
                let outcome = try await RequestTrace.$current.withValue(trace) {
                    let outcome = try await definition.apply(planned: step, in: context)
                    if outcome.verification == .onLiveState {
                        try await verify(step, definition: definition, context: context)
                    }
                    return outcome
                }
                if step.reverses == nil { facts.add(definition.establishes) }
                record.status = .succeeded
                record.before = outcome.before
                record.after = outcome.after
                record.reason = outcome.note
                record.beforeState = outcome.beforeState
                record.licencesFreed = outcome.licencesFreed.isEmpty ? nil : outcome.licencesFreed
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

    /// A change counts only once live state shows it: read once, or polled for changes that show late.
    private func verify(_ step: PlannedStep, definition: any StepDefinition.Type, context: StepContext) async throws {
        let holds: Bool
        switch definition.settling {
        case .immediate: holds = try await definition.isSatisfied(planned: step, in: context) != nil
        case .eventual: holds = try await poll { try await definition.isSatisfied(planned: step, in: context) != nil }
        }
        guard holds else {
            throw StepFailure(
                "Microsoft accepted the change but live state does not show it"
                    + (definition.settling == .eventual ? " after \(Int(options.settleTimeout.timeInterval)) s" : ""))
        }
    }
}

/// Facts established during one execution (the mailbox is shared, …), shared by its steps.
final class FactBook: Sendable {
    private let facts = Mutex<Set<RunFact>>([])
    var all: Set<RunFact> { facts.withLock { $0 } }
    func add(_ new: Set<RunFact>) { facts.withLock { $0.formUnion(new) } }
}

extension Duration {
    /// Seconds with their fraction.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Random passwords that meet Entra's complexity rules; never logged or stored.
public enum PasswordGenerator {
    public static func make() -> String {
        let lower = Array("abcdefghijkmnopqrstuvwxyz"), upper = Array("ABCDEFGHJKLMNPQRSTUVWXYZ"), digits = Array("23456789"),
            symbols = Array("!#%*+-=?@^_")
        var generator = SystemRandomNumberGenerator()
        var characters = [lower, upper, digits, symbols].map { $0.randomElement(using: &generator)! }
        let all = lower + upper + digits + symbols
        for _ in 0..<20 { characters.append(all.randomElement(using: &generator)!) }
        return String(characters.shuffled(using: &generator))
    }
}
