import Foundation

/// Lets the delegate send on behalf of the kept mailbox ("Kate on behalf of Ben"), so recipients see
/// who answers. Opt-in.
public enum GrantSendOnBehalf: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var delegate: PersonRef
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var delegateHeld: Bool }

    public static let kind: StepKind = "grant-send-on-behalf"
    public static let policyName = "grant-send-on-behalf"
    public static let phase = Phase.preservation
    public static let isOnByDefault = false
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Give the delegate Send on Behalf of the mailbox", reads: "Get-Mailbox GrantSendOnBehalfTo",
        changes: "Set-Mailbox -GrantSendOnBehalfTo @{add=delegate}", verifies: "the delegate is in GrantSendOnBehalfTo",
        undo: "Set-Mailbox -GrantSendOnBehalfTo @{remove=delegate}")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, let delegate = planning.people.delegate else { return }
        planning.add(
            step(
                target: delegate.userPrincipalName, title: "Give \(delegate.displayName) Send on Behalf of the mailbox",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, delegate: delegate),
                disposition: mailbox.sendOnBehalfHolders.contains(where: delegate.isNamed(by:))
                    ? .alreadyDone("\(delegate.userPrincipalName) already holds Send on Behalf") : .run))
    }

    static func right(_ parameters: Parameters) -> MailboxRight { MailboxRight(mailbox: parameters.mailbox, kind: .sendOnBehalf) }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(right(parameters), parameters.delegate) ? "the delegate holds Send on Behalf" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addMailboxRight(right(parameters), parameters.delegate)
        return StepOutcome(
            before: "no Send on Behalf", after: "\(parameters.delegate.userPrincipalName): Send on Behalf",
            beforeState: recording(BeforeState(delegateHeld: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(right(parameters), parameters.delegate)
            ? nil : "the delegate no longer holds Send on Behalf"
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.removeMailboxRight(right(parameters), parameters.delegate)
        return StepOutcome(before: "Send on Behalf", after: "no Send on Behalf")
    }
}
