import Foundation

/// Takes away the leaver's own rights on *other* mailboxes (Full Access, Send As, Send on Behalf,
/// calendar folder permissions), found by a live reverse lookup while planning: a cached report
/// misses rights granted since it ran. Opt-in (`steps: all` includes it): Full Access and calendar
/// rights have no server-side filter by holder, so planning asks every mailbox — two Exchange
/// commands per mailbox (see `turnover bench rights`).
public enum RemoveMailboxRight: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var right: MailboxRight
        public var holder: PersonRef
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var right: MailboxRight }

    public static let kind: StepKind = "remove-mailbox-right"
    public static let policyName = "remove-rights-on-other-mailboxes"
    public static let policyAliases = ["remove-mailbox-rights"]
    public static let phase = Phase.containment
    public static let isOnByDefault = false
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Remove a right on another mailbox",
        reads:
            "Get-RecipientPermission -Trustee; Get-Mailbox (GrantSendOnBehalfTo); Get-MailboxPermission and Get-MailboxFolderPermission of each mailbox",
        changes:
            "Remove-MailboxPermission, Remove-RecipientPermission, Set-Mailbox -GrantSendOnBehalfTo @{remove}, Remove-MailboxFolderPermission",
        verifies: "the right is no longer listed on that mailbox", undo: "the matching Add- cmdlet with the recorded rights")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        guard let rights = planning.snapshot.rightsElsewhere else {
            planning.warn(
                Finding(
                    "rights-elsewhere-unknown", "The leaver's rights on other mailboxes could not be looked up; none are removed.",
                    resolution: "Check Exchange's availability and the app's Exchange role, then plan again."))
            return
        }
        let user = planning.user
        let holder = PersonRef(id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName)
        for right in rights {
            planning.add(
                step(
                    target: "\(right.kind.rawValue):\(right.mailbox)", title: "Remove \(right.description)",
                    parameters: Parameters(right: right, holder: holder)))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(parameters.right, parameters.holder)
            ? nil : "no longer holds \(parameters.right.description)"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.removeMailboxRight(parameters.right, parameters.holder)
        return StepOutcome(
            before: parameters.right.description, after: "removed", beforeState: recording(BeforeState(right: parameters.right)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(before.right, parameters.holder) ? "holds \(before.right.description) again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addMailboxRight(before.right, parameters.holder)
        return StepOutcome(before: "removed", after: before.right.description)
    }
}
