import Foundation

/// Removes forwarding the leaver (or an attacker) set, when the policy forwards to no one.
public enum RemoveForwarding: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var previous: ForwardingState
    }
    public typealias BeforeState = ForwardingState

    public static let kind: StepKind = "remove-forwarding"
    public static let policyName = "forwarding"
    public static let phase = Phase.preservation
    public static let permissions = PermissionRequirement.exchange
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Remove the existing forwarding", reads: "Get-Mailbox forwarding",
        changes: "Set-Mailbox -ForwardingSmtpAddress $null -ForwardingAddress $null", verifies: "Get-Mailbox shows no forwarding",
        undo: "restore the previous forwarding from the snapshot")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), planning.people.forwardingTarget == nil, let mailbox = planning.mailbox,
            mailbox.hasForwarding
        else { return }
        let previous = ForwardingState(mailbox)
        planning.add(
            step(
                title: "Remove the existing forwarding to \(mailbox.forwardingSmtpAddress ?? mailbox.forwardingAddress ?? "?")",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, previous: previous)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        guard let live = try await context.tenant.mailbox(context.userPrincipalName) else { return nil }
        return live.hasForwarding ? nil : "no forwarding is set"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setForwarding(context.userPrincipalName, nil)
        return StepOutcome(
            before: parameters.previous.forwardingSmtpAddress ?? parameters.previous.forwardingAddress, after: "no forwarding",
            beforeState: recording(parameters.previous))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await before.restoredNote(in: context)
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await before.restore(in: context)
    }
}
