import Foundation

/// Removes the leaver's own manager link, so the former manager stops receiving their approvals and
/// the leaver drops out of the org chart.
public enum RemoveManager: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var manager: PersonRef }
    public struct BeforeState: Codable, Sendable, Equatable { public var manager: PersonRef }

    public static let kind: StepKind = "remove-manager"
    public static let policyName = "remove-manager"
    public static let phase = Phase.cleanup
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("User.ReadWrite.All", "Directory.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Remove the manager link", reads: "GET /users/{id}/manager", changes: "DELETE /users/{id}/manager/$ref",
        verifies: "GET manager answers 404", undo: "PUT the manager back")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let manager = planning.snapshot.manager else { return }
        planning.add(
            step(
                title: "Remove the manager link to \(manager.displayName)", parameters: Parameters(manager: manager),
                disposition: planning.earlier?.removedManager == manager
                    ? .alreadyDone("removed by run \(planning.earlier?.id.rawValue ?? "")") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.managerId(context.userId) == nil ? "no manager is set" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeManager(context.userId)
        return StepOutcome(
            before: "manager: \(parameters.manager.userPrincipalName)", after: "no manager",
            beforeState: recording(BeforeState(manager: parameters.manager)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.managerId(context.userId) == before.manager.id ? "the manager is \(before.manager.displayName) again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setManager(context.userId, before.manager.id)
        return StepOutcome(before: "no manager", after: "manager: \(before.manager.userPrincipalName)")
    }
}
