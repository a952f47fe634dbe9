import Foundation

/// Deletes the account, last of all and only once every other step has held. Destructive, so never
/// implied by `steps: all`. A shared mailbox dies with its account, so delete and keep-as-shared
/// exclude each other, except on the inactive-mailbox path: under a litigation hold the mailbox
/// outlives the account, unlicensed and searchable. Entra keeps the user restorable for 30 days.
public enum DeleteUser: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public init() {} }
    public struct BeforeState: Codable, Sendable, Equatable { public var existed: Bool }

    public static let kind: StepKind = "delete-user"
    public static let policyName = "delete-user"
    public static let phase = Phase.licences
    public static let isOnByDefault = false
    public static let isDestructive = true
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("User.DeleteRestore.All", "User.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Delete the user", reads: "the plan's other steps", changes: "DELETE /users/{id}, after every other step has held",
        verifies: "the user no longer reads", undo: "POST /directory/deletedItems/{id}/restore (within 30 days)")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        let mailbox = planning.mailbox
        let held =
            mailbox?.litigationHold == true || !(mailbox?.inPlaceHolds.isEmpty ?? true) || planning.isEnabled(PlaceLitigationHold.self)
        if let mailbox, planning.isEnabled(ConvertToShared.self), !held {
            planning.block(
                Finding(
                    "delete-and-shared",
                    "delete-user and convert-to-shared exclude each other: the shared mailbox \(mailbox.primarySmtpAddress) would be deleted with the account.",
                    resolution:
                        "Drop delete-user to keep the shared mailbox, or add litigation-hold for the inactive-mailbox path (kept on hold, unlicensed and searchable)."
                ))
        }
        if let mailbox {
            planning.retain(
                held
                    ? "Inactive mailbox: \(mailbox.primarySmtpAddress) outlives the account under its hold, with no licence, searchable in eDiscovery."
                    : "The mailbox \(mailbox.primarySmtpAddress) is soft-deleted with the account and purged after 30 days.")
        }
        if let site = planning.snapshot.oneDriveURL {
            planning.retain(GrantOneDriveAccess.lifetime(planning, site: site, deletedByThisPlan: true))
        }
        planning.warn(
            Finding(
                "destructive-delete", "The account is deleted at the end of the run; it can be restored for 30 days (turnover restore).")
        )
        // Only once everything else has held: a failure anywhere keeps the account.
        planning.add(
            step(title: catalog.title, parameters: Parameters(), dependsOn: planning.steps.filter(\.willRun).map(\.id)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.userExists(context.userId) ? nil : "the user is deleted"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.deleteUser(context.userId)
        return StepOutcome(
            before: "account exists", after: "deleted (restorable for 30 days)", beforeState: recording(BeforeState(existed: true)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.userExists(context.userId) ? "the user is back" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.restoreUser(context.userId)
        return StepOutcome(before: "deleted", after: "restored with its group memberships")
    }
}
