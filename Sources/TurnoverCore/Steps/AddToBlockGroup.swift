import Foundation

/// Adds the leaver to the tenant's block group, the one a Conditional Access "block all" policy
/// targets: a kill switch that still holds if someone re-enables the account by mistake.
public enum AddToBlockGroup: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var group: GroupRef }
    public struct BeforeState: Codable, Sendable, Equatable { public var wasMember: Bool }

    public static let kind: StepKind = "add-to-block-group"
    public static let policyName = "block-group"
    public static let phase = Phase.containment
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("GroupMember.ReadWrite.All", "Group.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Add to the Conditional Access block group", reads: "GET /groups?$filter=displayName eq (policy blockGroup); memberOf",
        changes: "POST /groups/{id}/members/$ref", verifies: "the group is in memberOf", undo: "DELETE the membership")

    public static func plan(_ planning: inout PlanningContext) {
        // Unconfigured (no blockGroup in the policy), the step has nothing to do; a name not found is a blocker of the planner.
        guard planning.isEnabled(Self.self), let group = planning.people.blockGroup else { return }
        let member = planning.snapshot.groups.contains { $0.id == group.id && $0.isMember }
        planning.add(
            step(
                title: "Add to '\(group.displayName)' (blocked by Conditional Access)", parameters: Parameters(group: group),
                disposition: member ? .alreadyDone("already in '\(group.displayName)'") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(parameters.group.id) ? "in '\(parameters.group.displayName)'" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addGroupMember(parameters.group.id, context.userId)
        return StepOutcome(
            before: "not in \(parameters.group.displayName)", after: "member of \(parameters.group.displayName)",
            beforeState: recording(BeforeState(wasMember: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(parameters.group.id)
            ? nil : "out of '\(parameters.group.displayName)'"
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeGroupMember(parameters.group.id, context.userId)
        return StepOutcome(before: "member of \(parameters.group.displayName)", after: "not a member")
    }
}
