import Foundation

/// Places the mailbox on litigation hold before any licence is touched, so nothing the leaver
/// deleted or will be deleted is lost. Opt-in: a held shared mailbox keeps its Exchange licence.
public enum PlaceLitigationHold: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        /// Nil holds without end.
        public var durationDays: Int?
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var held: Bool }

    public static let kind: StepKind = "litigation-hold"
    public static let policyName = "litigation-hold"
    public static let phase = Phase.preservation
    public static let isOnByDefault = false
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Place the mailbox on litigation hold", reads: "Get-Mailbox LitigationHoldEnabled",
        changes: "Set-Mailbox -LitigationHoldEnabled $true -LitigationHoldDuration", verifies: "LitigationHoldEnabled is true",
        undo: "-LitigationHoldEnabled $false")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox else { return }
        let days = planning.policy.litigationHoldDays
        planning.add(
            step(
                title: "Place the mailbox on litigation hold (" + (days.map { "\($0) days" } ?? "no end") + ")",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, durationDays: days),
                disposition: mailbox.litigationHold ? .alreadyDone("the mailbox is already on litigation hold") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.mailbox(context.userPrincipalName)?.litigationHold == true ? "the mailbox is on litigation hold" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setLitigationHold(context.userPrincipalName, true, parameters.durationDays)
        return StepOutcome(before: "no hold", after: "litigation hold", beforeState: recording(BeforeState(held: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.mailbox(context.userPrincipalName)?.litigationHold == before.held ? "the hold is lifted" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setLitigationHold(context.userPrincipalName, before.held, nil)
        return StepOutcome(before: "litigation hold", after: "no hold")
    }
}
