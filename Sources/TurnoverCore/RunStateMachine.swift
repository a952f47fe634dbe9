public import Foundation

/// Which steps of a run may start, which are blocked behind a failure, and what the run's status and
/// containment are. Pure: the runner performs the I/O for each action it returns.
public struct RunStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        /// Start this step: its dependencies have all finished well.
        case launch(StepRecord)
        /// This step will not run because a dependency failed or was blocked; record it.
        case block(StepRecord)
    }

    public private(set) var records: [StepID: StepRecord]
    private let order: [StepID]
    private let dependencies: [StepID: [StepID]]
    private let predecessors: [StepID: [StepID]]
    private let cutsAccess: Set<StepID>
    private var launched: Set<StepID> = []

    /// - Parameters:
    ///   - steps: the run's step records as stored (final ones stay final).
    ///   - plan: the approved plan, for dependencies.
    ///   - cutsAccess: the steps that must hold before the run counts as contained.
    public init(steps: [StepRecord], plan: Plan, cutsAccess: Set<StepID>) {
        records = Dictionary(uniqueKeysWithValues: steps.map { ($0.id, $0) })
        order = steps.map(\.id)
        dependencies = Dictionary(uniqueKeysWithValues: plan.steps.map { ($0.id, $0.dependsOn) })
        predecessors = Dictionary(uniqueKeysWithValues: plan.steps.map { ($0.id, $0.runsAfter ?? []) })
        self.cutsAccess = cutsAccess.filter { id in steps.contains { $0.id == id } }
    }

    /// The steps to launch now and those to record as blocked, in plan order. Blocks cascade, so a
    /// step listed before its blocked dependency is blocked in the same call.
    public mutating func nextActions(now: Date) -> [Action] {
        var actions: [Action] = []
        var changed = true
        while changed {
            changed = false
            for id in order where !launched.contains(id) {
                guard var record = records[id], !record.status.isFinal else { continue }
                let upstream = (dependencies[id] ?? []).compactMap { records[$0] }
                if let broken = upstream.first(where: { $0.status == .failed || $0.status == .blocked }) {
                    record.status = .blocked
                    record.reason = "not run because '\(broken.title)' \(broken.status.rawValue)"
                    record.finishedAt = now
                    records[id] = record
                    actions.append(.block(record))
                    changed = true
                    continue
                }
                let before = (predecessors[id] ?? []).compactMap { records[$0] }
                guard upstream.allSatisfy(\.status.isFinal), before.allSatisfy(\.status.isFinal) else { continue }
                launched.insert(id)
                actions.append(.launch(record))
            }
        }
        return actions
    }

    /// Records a step's new state (running, or its outcome).
    public mutating func update(_ record: StepRecord) { records[record.id] = record }

    /// Access is cut once every containment step has succeeded or was found done, never merely
    /// because they ended: a failed block is no containment.
    public var isContained: Bool {
        !cutsAccess.isEmpty && cutsAccess.allSatisfy { [.succeeded, .skipped].contains(records[$0]?.status) }
    }

    public var isFinished: Bool { records.values.allSatisfy(\.status.isFinal) }

    public var orderedRecords: [StepRecord] { order.compactMap { records[$0] } }

    public func status(blocked: Bool) -> RunStatus { RunStatus.derive(orderedRecords, blocked: blocked) }

    /// What the run verifiably freed, from each succeeded step's own record.
    public var licencesFreed: [String] {
        orderedRecords.filter { $0.status == .succeeded }.flatMap { $0.licencesFreed ?? [] }
    }
}
