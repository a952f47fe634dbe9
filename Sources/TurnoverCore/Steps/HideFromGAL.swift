import Foundation

/// Hides the leaver from the global address list, so colleagues stop picking them as a recipient.
public enum HideFromGAL: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var hidden: Bool }

    public static let kind: StepKind = "hide-from-gal"
    public static let policyName = "hide-from-gal"
    public static let phase = Phase.preservation
    public static let permissions = PermissionRequirement.exchange
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Hide from the global address list", reads: "Get-Mailbox HiddenFromAddressListsEnabled",
        changes: "Set-Mailbox -HiddenFromAddressListsEnabled $true", verifies: "HiddenFromAddressListsEnabled is true",
        undo: "-HiddenFromAddressListsEnabled $false")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox else { return }
        planning.add(
            step(
                title: catalog.title, parameters: Parameters(mailbox: mailbox.primarySmtpAddress),
                disposition: mailbox.hiddenFromGAL ? .alreadyDone("already hidden from the address list") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.mailbox(context.userPrincipalName)?.hiddenFromAddressLists == true
            ? "already hidden from the address list" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setHiddenFromAddressLists(context.userPrincipalName, true)
        return StepOutcome(before: "listed", after: "hidden", beforeState: recording(BeforeState(hidden: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.mailbox(context.userPrincipalName)?.hiddenFromAddressLists == before.hidden
            ? "listed in the address list again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setHiddenFromAddressLists(context.userPrincipalName, before.hidden)
        return StepOutcome(before: "hidden", after: "listed")
    }
}
