import Foundation

/// Takes the leaver out of each active directory role, so no admin right outlives the account. The
/// planner refuses to remove the last enabled Global Administrator.
public enum RemoveDirectoryRole: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        /// The activated `directoryRole` object (what membership removal addresses).
        public var directoryRoleId: String
        public var roleDefinitionId: String
        public var name: String
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var held: Bool }

    public static let kind: StepKind = "remove-directory-role"
    public static let policyName = "remove-admin-roles"
    public static let policyAliases = ["remove-directory-roles", "remove-roles"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.permission("RoleManagement.ReadWrite.Directory")
    public static let catalog = StepCatalogEntry(
        title: "Remove an admin role", reads: "GET /users/{id}/memberOf (directory roles)",
        changes: "DELETE /directoryRoles/{role}/members/{leaver}/$ref", verifies: "the role is no longer in memberOf",
        undo: "POST /directoryRoles/{role}/members/$ref")

    public static func plan(_ planning: inout PlanningContext) {
        warnAboutEligibilities(&planning)
        let roles = planning.snapshot.roles
        guard !roles.isEmpty else { return }
        guard planning.isEnabled(Self.self) else {
            planning.warn(
                Finding(
                    "admin-roles",
                    "Holds admin role(s) \(roles.map(\.name).joined(separator: ", ")); the policy does not remove them (blocking sign-in stops their use)."
                ))
            return
        }
        for role in roles {
            // The last Global Administrator is a blocker of the planner; the role stays with the plan refused.
            planning.add(
                step(
                    target: role.roleDefinitionId, title: "Remove the role '\(role.name)'",
                    parameters: Parameters(directoryRoleId: role.directoryRoleId, roleDefinitionId: role.roleDefinitionId, name: role.name))
            )
        }
    }

    /// PIM eligibilities are listed, not removed: an eligible role is not held until activated, and
    /// activating it needs a sign-in the plan blocks, so the warning says where to remove it.
    static func warnAboutEligibilities(_ planning: inout PlanningContext) {
        guard let eligible = planning.snapshot.eligibleRoles else {
            if planning.isEnabled(Self.self) {
                planning.warn(
                    Finding(
                        "pim-eligible-not-read",
                        "PIM-eligible roles could not be read, so any the leaver holds are not listed.",
                        resolution: "Grant the app RoleEligibilitySchedule.Read.Directory, or check Privileged Identity Management by hand."
                    ))
            }
            return
        }
        for role in eligible {
            planning.warn(
                Finding(
                    "pim-eligible",
                    "\(planning.user.displayName) is eligible for '\(role.name)' through PIM\(role.endsAt.map { " until \($0)" } ?? " without end"); an eligibility is not a held role, so this plan does not remove it.",
                    resolution:
                        "Remove the eligibility in Entra ID → Privileged Identity Management → Roles, or it can be activated again if the account is ever re-enabled."
                ))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(parameters.directoryRoleId)
            ? nil : "no longer holds '\(parameters.name)'"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeDirectoryRoleMember(parameters.directoryRoleId, context.userId)
        return StepOutcome(before: parameters.name, after: "no role", beforeState: recording(BeforeState(held: true)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(parameters.directoryRoleId)
            ? "holds '\(parameters.name)' again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addDirectoryRoleMember(parameters.directoryRoleId, context.userId)
        return StepOutcome(before: "no role", after: parameters.name)
    }
}
