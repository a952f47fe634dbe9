import Foundation

/// Gives each of the leaver's direct reports a new manager (the leaver's own manager, or the person
/// the policy names), so approvals and org charts do not point at an empty desk.
public enum MoveDirectReport: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var report: PersonRef
        public var newManager: PersonRef
    }
    public struct BeforeState: Codable, Sendable, Equatable {
        /// The manager the report had: the leaver.
        public var managerId: String
    }

    public static let kind: StepKind = "move-direct-report"
    public static let policyName = "move-direct-reports"
    public static let phase = Phase.cleanup
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("User.ReadWrite.All", "Directory.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Move a direct report to a new manager", reads: "GET /users/{id}/directReports; GET /users/{report}/manager",
        changes: "PUT /users/{report}/manager/$ref", verifies: "the report's manager is the new one", undo: "PUT the leaver back as manager"
    )

    public static func plan(_ planning: inout PlanningContext) {
        let reports = planning.snapshot.directReports
        guard !reports.isEmpty else { return }
        let names = reports.map(\.displayName).joined(separator: ", ")
        let newManager: PersonRef? =
            switch planning.policy.directReportsTo {
            case .manager: planning.snapshot.manager
            case .user: planning.people.directReportsTo
            case .none: nil
            }
        guard planning.isEnabled(Self.self), let newManager else {
            planning.warn(
                Finding(
                    "direct-reports", "\(reports.count) direct report(s) need a new manager: \(names).",
                    resolution: planning.isEnabled(Self.self)
                        ? "\(planning.user.displayName) has no manager to move them to: --set directReportsTo=someone@domain." : nil))
            return
        }
        for report in reports where report.id != newManager.id {
            let synced = planning.snapshot.syncedDirectReportIds.contains(report.id)
            planning.add(
                step(
                    target: report.id, title: "Move \(report.displayName) to \(newManager.displayName)",
                    parameters: Parameters(report: report, newManager: newManager),
                    disposition: synced
                        ? .report("\(report.displayName) is synced from on-premises AD, where the manager is mastered: set it there") : .run
                ))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.managerId(parameters.report.id) == parameters.newManager.id
            ? "\(parameters.report.displayName) reports to \(parameters.newManager.displayName)" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setManager(parameters.report.id, parameters.newManager.id)
        return StepOutcome(
            before: "manager: \(context.userPrincipalName)", after: "manager: \(parameters.newManager.userPrincipalName)",
            beforeState: recording(BeforeState(managerId: context.userId)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.managerId(parameters.report.id) == before.managerId
            ? "\(parameters.report.displayName) reports to the leaver again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setManager(parameters.report.id, before.managerId)
        return StepOutcome(before: "manager: \(parameters.newManager.userPrincipalName)", after: "manager: \(context.userPrincipalName)")
    }
}
