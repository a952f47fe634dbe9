public import Foundation

/// Plans taking back what a run changed, from the before-state each of its steps recorded. Pure:
/// live state is checked when the undo runs (a step already restored by hand is skipped).
///
/// Later phases are undone first: licences come back before the mailbox is converted back to a
/// user mailbox, and sign-in is allowed again last, once everything else is as it was. A step that
/// depended on another is undone before it (a deleted user is restored first of all).
public enum UndoPlanner {
    /// An undo Turnover refuses to plan, said as a sentence.
    public struct Refusal: Error, Sendable, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// - Parameters:
    ///   - run: the finished run to take back.
    ///   - only: step kinds, step ids or policy step names to undo; nil for everything reversible.
    public static func plan(undoing run: RunRecord, only: [String]? = nil, now: Date) throws -> Plan {
        guard run.plan.undoes == nil else {
            throw Refusal(description: "Run \(run.id) is itself an undo; offboard the user again instead of undoing it.")
        }
        guard run.status != .blocked else {
            throw Refusal(description: "Run \(run.id) was blocked and changed nothing, so there is nothing to undo.")
        }
        guard [.succeeded, .partiallySucceeded, .failed].contains(run.status) else {
            throw Refusal(
                description: "Run \(run.id) has not finished (\(run.status.rawValue)); finish it with `turnover resume \(run.id)` first.")
        }
        let selected = try selection(only, in: run)
        var steps: [PlannedStep] = []
        var warnings: [Finding] = []
        for record in run.steps where selected?.contains(record.id) ?? true {
            guard let original = run.plan.step(record.id) else { continue }
            switch record.status {
            case .succeeded: break
            case .failed, .blocked:
                if record.status == .failed {
                    warnings.append(
                        Finding(
                            "failed-not-undone", "'\(record.title)' failed in the run, so no change of it is recorded to undo.",
                            resolution: "Check it by hand in the admin portal."))
                }
                continue
            default: continue  // skipped (already so before the run) or never run: nothing was changed
            }
            guard let definition = StepRegistry.definition(of: record.kind) else {
                warnings.append(Finding("unknown-kind", "'\(record.title)': this version of Turnover has no step kind '\(record.kind)'."))
                continue
            }
            if case .irreversible(let reason) = definition.reversal {
                warnings.append(Finding("cannot-undo", "'\(record.title)' cannot come back: \(reason)."))
                continue
            }
            guard let before = record.beforeState else {
                warnings.append(
                    Finding(
                        "no-before-state", "'\(record.title)' recorded no before-state (an older run), so it cannot be undone.",
                        resolution: "Restore it by hand."))
                continue
            }
            steps.append(
                PlannedStep(
                    kind: original.kind, target: original.target, title: "Undo: \(original.title)", phase: original.phase,
                    parameters: original.parameters, reverses: before))
        }
        let undone = Set(steps.map(\.id))
        for index in steps.indices {
            let phase = steps[index].phase
            steps[index].runsAfter = steps.filter { $0.phase > phase }.map(\.id)
            if steps[index].runsAfter?.isEmpty == true { steps[index].runsAfter = nil }
        }
        // Hard dependencies turn round: what had to hold before a step is put back only after that
        // step's undo (the deleted user is restored before anything is given back to it).
        for original in run.plan.steps where undone.contains(original.id) {
            for prerequisite in original.dependsOn where undone.contains(prerequisite) {
                guard let index = steps.firstIndex(where: { $0.id == prerequisite }) else { continue }
                if !steps[index].dependsOn.contains(original.id) { steps[index].dependsOn.append(original.id) }
            }
        }
        var plan = Plan(
            tenant: run.tenant, user: run.user, policyName: "undo of \(run.id)", createdAt: now,
            steps: steps.sorted { $0.phase > $1.phase }, blockers: [], warnings: warnings, licencesToFree: [], retention: [])
        plan.undoes = run.id
        return plan
    }

    /// The step ids a technician's `--steps` names: a step id, a kind, or a policy step name.
    static func selection(_ names: [String]?, in run: RunRecord) throws -> Set<StepID>? {
        guard let names, !names.isEmpty else { return nil }
        var ids: Set<StepID> = []
        for name in names.map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            let kinds = StepRegistry.policyName(for: name).map { StepRegistry.kinds(switchedOnBy: $0).map { $0.kind } } ?? []
            let matching = run.steps.filter { $0.id.rawValue == name || $0.kind.rawValue == name || kinds.contains($0.kind) }
            guard !matching.isEmpty else {
                throw Refusal(
                    description:
                        "Run \(run.id) has no step '\(name)'. Its steps are: \(Set(run.steps.map(\.kind.rawValue)).sorted().joined(separator: ", "))."
                )
            }
            ids.formUnion(matching.map(\.id))
        }
        return ids
    }
}
