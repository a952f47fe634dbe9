import Crypto
public import Foundation
public import TurnoverCore

/// The hash an approver signs off on, and what counts as a material change between the plan
/// approved and the plan the worker computes from live state just before it runs.
public enum PlanFingerprint {
    /// SHA-256 (hex) of the plan's canonical JSON: sorted keys, dates in seconds.
    public static func hash(_ plan: Plan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = (try? encoder.encode(plan)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// What the current plan would do that the approved one would not: new blockers, and steps to
    /// run that the approver did not see as steps to run. Steps found already done since, and
    /// changed wording, are not material: they do less, not more.
    public static func materialChanges(approved: Plan, current: Plan) -> [String] {
        var changes: [String] = []
        let approvedBlockers = Set(approved.blockers.map(\.message))
        for blocker in current.blockers where !approvedBlockers.contains(blocker.message) {
            changes.append("new blocker: \(blocker.message)")
        }
        let approvedRunnable = Set(approved.runnableSteps.map(\.id))
        for step in current.runnableSteps where !approvedRunnable.contains(step.id) {
            changes.append("new step: \(step.title)")
        }
        return changes
    }
}
