import Foundation

/// Revokes refresh tokens and session cookies, so sessions already open end too.
public enum RevokeSessions: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public init() {} }

    public static let kind: StepKind = "revoke-sessions"
    public static let policyName = "revoke-sessions"
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "revoked sessions stay revoked: the user simply signs in again once sign-in is allowed")
    public static let cutsAccess = true
    public static let permissions = PermissionRequirement.anyOf("User.RevokeSessions.All", "User.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Revoke sign-in sessions and refresh tokens", reads: "user.signInSessionsValidFromDateTime",
        changes: "POST /users/{id}/revokeSignInSessions", verifies: "signInSessionsValidFromDateTime moves past the run start",
        undo: "none: the user signs in again once re-enabled")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        planning.add(step(title: catalog.title, parameters: Parameters(), disposition: planning.doneByEarlierRun(kind)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        context.changedSinceStart(try await context.tenant.user(context.userId).sessionsValidFrom)
            ? "sessions were already revoked in this run" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.revokeSessions(context.userId)
        return StepOutcome(before: "sessions valid", after: "all sessions revoked")
    }
}
