import Foundation

/// Removes the leaver's app role in an enterprise app, so single sign-on into it stops even where
/// the app keeps its own sessions.
public enum RemoveAppRoleAssignment: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var assignment: AppRoleInfo }
    public struct BeforeState: Codable, Sendable, Equatable { public var assignment: AppRoleInfo }

    public static let kind: StepKind = "remove-app-role-assignment"
    public static let policyName = "remove-app-role-assignments"
    public static let policyAliases = ["remove-app-roles"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.permission("AppRoleAssignment.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Remove an app role assignment", reads: "GET /users/{id}/appRoleAssignments",
        changes: "DELETE /users/{id}/appRoleAssignments/{id}", verifies: "the assignment is no longer listed",
        undo: "POST /users/{id}/appRoleAssignments with the same app and role")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        for assignment in planning.snapshot.appRoleAssignments {
            planning.add(
                step(
                    target: assignment.id, title: "Remove the app role in \(assignment.resourceName)",
                    parameters: Parameters(assignment: assignment)))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.appRoleAssignments(context.userId).contains { $0.id == parameters.assignment.id }
            ? nil : "no longer assigned in \(parameters.assignment.resourceName)"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeAppRoleAssignment(context.userId, parameters.assignment.id)
        return StepOutcome(
            before: "assigned in \(parameters.assignment.resourceName)", after: "removed",
            beforeState: recording(BeforeState(assignment: parameters.assignment)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.appRoleAssignments(context.userId).contains {
            $0.resourceId == before.assignment.resourceId && $0.appRoleId == before.assignment.appRoleId
        } ? "assigned in \(before.assignment.resourceName) again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addAppRoleAssignment(context.userId, before.assignment)
        return StepOutcome(before: "removed", after: "assigned in \(before.assignment.resourceName)")
    }
}
