import Foundation

/// Forwards the leaver's mail to a colleague, replacing any forwarding set before.
public enum SetForwarding: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var to: PersonRef
        public var keepCopy: Bool
        /// The forwarding found when planning: the before-state undo restores.
        public var previous: ForwardingState
    }
    public typealias BeforeState = ForwardingState

    public static let kind: StepKind = "set-forwarding"
    public static let policyName = "forwarding"
    public static let policyAliases = ["set-forwarding"]
    public static let phase = Phase.preservation
    public static let permissions = PermissionRequirement.exchange
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Forward mail", reads: "Get-Mailbox forwarding", changes: "Set-Mailbox -ForwardingAddress -DeliverToMailboxAndForward",
        verifies: "Get-Mailbox shows the forwarding", undo: "restore the previous forwarding from the snapshot")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, let target = planning.people.forwardingTarget else { return }
        let keepCopy = planning.policy.forwardingKeepCopy
        let parameters = Parameters(
            mailbox: mailbox.primarySmtpAddress, to: target, keepCopy: keepCopy, previous: ForwardingState(mailbox))
        planning.add(
            step(
                title: "Forward mail to \(target.displayName)" + (keepCopy ? " (keeping a copy)" : ""), parameters: parameters,
                disposition: parameters.holds(in: ForwardingState(mailbox))
                    ? .alreadyDone("mail is already forwarded to \(target.userPrincipalName)") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        guard let live = try await context.tenant.mailbox(context.userPrincipalName) else { return nil }
        return parameters.holds(in: ForwardingState(live)) ? "mail is already forwarded to \(parameters.to.userPrincipalName)" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setForwarding(
            context.userPrincipalName, Forwarding(to: parameters.to.userPrincipalName, keepCopy: parameters.keepCopy))
        return StepOutcome(
            before: parameters.previous.description,
            after: "forwarding to \(parameters.to.userPrincipalName)" + (parameters.keepCopy ? ", copy kept" : ""),
            beforeState: recording(parameters.previous))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await before.restoredNote(in: context)
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await before.restore(in: context)
    }
}

extension SetForwarding.Parameters {
    /// Exchange names the recipient by object id, UPN, alias or name depending on the mailbox's age.
    func holds(in state: ForwardingState) -> Bool {
        state.forwardingAddress.map { to.isNamed(by: $0) } == true && state.forwardingSmtpAddress == nil
            && state.deliverToMailboxAndForward == keepCopy
    }
}

/// A mailbox's forwarding settings, as Exchange reports them.
public struct ForwardingState: Codable, Sendable, Equatable, CustomStringConvertible {
    public var forwardingAddress: String?
    public var forwardingSmtpAddress: String?
    public var deliverToMailboxAndForward: Bool

    public init(_ mailbox: MailboxInfo) {
        forwardingAddress = mailbox.forwardingAddress
        forwardingSmtpAddress = mailbox.forwardingSmtpAddress
        deliverToMailboxAndForward = mailbox.deliverToMailboxAndForward
    }

    public init(_ mailbox: LiveMailbox) {
        forwardingAddress = mailbox.forwardingAddress
        forwardingSmtpAddress = mailbox.forwardingSmtpAddress
        deliverToMailboxAndForward = mailbox.deliverToMailboxAndForward
    }

    public var isEmpty: Bool { forwardingAddress == nil && forwardingSmtpAddress == nil }

    /// Why live state shows these settings again, or nil (undo of setting or removing forwarding).
    func restoredNote(in context: StepContext) async throws -> String? {
        guard let live = try await context.tenant.mailbox(context.userPrincipalName) else { return nil }
        return isRestored(in: live) ? "the forwarding is as before: \(self)" : nil
    }

    func restore(in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.restoreForwarding(context.userPrincipalName, self)
        return StepOutcome(after: description)
    }

    /// Whether live state shows these settings again. Exchange may prefix an SMTP address with
    /// `smtp:`; the copy flag means nothing without forwarding.
    public func isRestored(in live: LiveMailbox) -> Bool {
        func normal(_ address: String?) -> String? {
            address.map { $0.lowercased().hasPrefix("smtp:") ? String($0.dropFirst(5)).lowercased() : $0.lowercased() }
        }
        let now = ForwardingState(live)
        return normal(now.forwardingAddress) == normal(forwardingAddress)
            && normal(now.forwardingSmtpAddress) == normal(forwardingSmtpAddress)
            && (isEmpty || now.deliverToMailboxAndForward == deliverToMailboxAndForward)
    }
    public var description: String { forwardingAddress ?? forwardingSmtpAddress ?? "no forwarding" }
}
