import Foundation

/// Resets the password to a random one that is never stored or logged, so a password the leaver
/// knows is worthless even if the account is re-enabled.
public enum ResetPassword: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public init() {} }

    public static let kind: StepKind = "reset-password"
    public static let policyName = "reset-password"
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "a password cannot be restored: an administrator sets a new one and gives it to whoever needs the account")
    public static let permissions = PermissionRequirement.anyOf("User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Reset the password to a random one (not stored)", reads: "user.lastPasswordChangeDateTime",
        changes: "PATCH /users/{id} passwordProfile (random, never stored or logged)",
        verifies: "lastPasswordChangeDateTime moves past the run start", undo: "none: an administrator sets a new password")

    public static func plan(_ planning: inout PlanningContext) {
        // A guest's password belongs to their home tenant.
        guard planning.isEnabled(Self.self), !planning.user.isGuest else { return }
        if planning.user.isSynced { planning.block(SyncedUser.finding(planning.user)) }
        planning.add(step(title: catalog.title, parameters: Parameters(), disposition: planning.doneByEarlierRun(kind)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        context.changedSinceStart(try await context.tenant.user(context.userId).lastPasswordChange)
            ? "the password was already reset in this run" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.resetPassword(context.userId, context.makePassword())
        return StepOutcome(before: "old password", after: "random password, not stored")
    }
}
