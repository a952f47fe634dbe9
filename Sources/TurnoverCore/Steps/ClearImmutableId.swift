import Foundation

/// Clears the on-premises anchor of an account whose sync link has been broken, so a new AD account
/// can never be soft-matched onto the leaver's cloud account (and its mailbox). Opt-in. For a user
/// still synced, Graph refuses the change: the plan says so and changes nothing.
public enum ClearImmutableId: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var immutableId: String }
    public struct BeforeState: Codable, Sendable, Equatable { public var immutableId: String }

    public static let kind: StepKind = "clear-immutable-id"
    public static let policyName = "clear-immutable-id"
    public static let phase = Phase.cleanup
    public static let isOnByDefault = false
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("User.ReadWrite.All", "Directory.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Clear the on-premises immutable ID", reads: "user.onPremisesImmutableId, onPremisesSyncEnabled",
        changes: "PATCH /users/{id} onPremisesImmutableId=null", verifies: "onPremisesImmutableId reads back empty",
        undo: "PATCH the recorded immutable ID back")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let immutableId = planning.user.immutableId else { return }
        planning.add(
            step(
                title: catalog.title, parameters: Parameters(immutableId: immutableId),
                disposition: planning.user.isSynced
                    ? .report(
                        "\(planning.user.userPrincipalName) is still synced from on-premises AD: the anchor is mastered there; take the account out of sync scope first, then clear it"
                    ) : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.user(context.userId).immutableId == nil ? "no immutable ID is set" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setImmutableId(context.userId, nil)
        return StepOutcome(
            before: parameters.immutableId, after: "cleared", beforeState: recording(BeforeState(immutableId: parameters.immutableId)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.user(context.userId).immutableId == before.immutableId ? "the immutable ID is back" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setImmutableId(context.userId, before.immutableId)
        return StepOutcome(before: "cleared", after: before.immutableId)
    }
}
