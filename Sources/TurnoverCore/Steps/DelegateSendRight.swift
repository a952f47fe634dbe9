import Foundation

/// What Send As and Send on Behalf for the delegate share: plan from who already holds the right,
/// check and change it through the same mailbox-right operations the reverse lookup uses, undo by
/// taking it away again. Each kind's file says only which right it is.
public protocol DelegateSendRight: StepDefinition
where Parameters == DelegateSendRightParameters, BeforeState == DelegateSendRightBeforeState {
    static var right: MailboxRight.Kind { get }
    /// Who holds the right on the leaver's mailbox, as Exchange names them in the snapshot.
    static func holders(_ mailbox: MailboxInfo) -> [String]
}

public struct DelegateSendRightParameters: Codable, Sendable, Equatable {
    public var mailbox: String
    public var delegate: PersonRef
}

public struct DelegateSendRightBeforeState: Codable, Sendable, Equatable { public var delegateHeld: Bool }

extension DelegateSendRight {
    public static var phase: Phase { .preservation }
    public static var isOnByDefault: Bool { false }
    public static var reversal: Reversal { .reversible }
    public static var permissions: PermissionRequirement { .exchange }

    static var label: String { MailboxRight(mailbox: "", kind: right).kindLabel }

    static func mailboxRight(_ parameters: Parameters) -> MailboxRight { MailboxRight(mailbox: parameters.mailbox, kind: right) }

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, let delegate = planning.people.delegate else { return }
        planning.add(
            step(
                target: delegate.userPrincipalName, title: "Give \(delegate.displayName) \(label) on the mailbox",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, delegate: delegate),
                disposition: holders(mailbox).contains(where: delegate.isNamed(by:))
                    ? .alreadyDone("\(delegate.userPrincipalName) already holds \(label)") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(mailboxRight(parameters), parameters.delegate) ? "the delegate holds \(label)" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addMailboxRight(mailboxRight(parameters), parameters.delegate)
        return StepOutcome(
            before: "no \(label)", after: "\(parameters.delegate.userPrincipalName): \(label)",
            beforeState: recording(BeforeState(delegateHeld: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.holdsMailboxRight(mailboxRight(parameters), parameters.delegate)
            ? nil : "the delegate no longer holds \(label)"
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.removeMailboxRight(mailboxRight(parameters), parameters.delegate)
        return StepOutcome(before: label, after: "no \(label)")
    }
}
