import Foundation

/// Lets the delegate send as the kept mailbox, so replies to the leaver's contacts come from the
/// address they know. Opt-in.
public enum GrantSendAs: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var delegate: PersonRef
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var delegateHeld: Bool }

    public static let kind: StepKind = "grant-send-as"
    public static let policyName = "grant-send-as"
    public static let phase = Phase.preservation
    public static let isOnByDefault = false
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Give the delegate Send As on the mailbox", reads: "Get-RecipientPermission -Identity -Trustee",
        changes: "Add-RecipientPermission -AccessRights SendAs", verifies: "the delegate holds Send As",
        undo: "Remove-RecipientPermission")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, let delegate = planning.people.delegate else { return }
        planning.add(
            step(
                target: delegate.userPrincipalName, title: "Give \(delegate.displayName) Send As on the mailbox",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, delegate: delegate),
                disposition: mailbox.sendAsHolders.contains(where: delegate.isNamed(by:))
                    ? .alreadyDone("\(delegate.userPrincipalName) already holds Send As") : .run))
    }

    static func right(_ parameters: Parameters) -> MailboxRight { MailboxRight(mailbox: parameters.mailbox, kind: .sendAs) }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(right(parameters), parameters.delegate) ? "the delegate holds Send As" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addMailboxRight(right(parameters), parameters.delegate)
        return StepOutcome(
            before: "no Send As", after: "\(parameters.delegate.userPrincipalName): Send As",
            beforeState: recording(BeforeState(delegateHeld: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(right(parameters), parameters.delegate) ? nil : "the delegate no longer holds Send As"
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.removeMailboxRight(right(parameters), parameters.delegate)
        return StepOutcome(before: "Send As", after: "no Send As")
    }
}
