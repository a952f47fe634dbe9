import Foundation

/// Turns on an out-of-office reply that tells senders whom to contact instead.
public enum SetAutoReply: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var internalMessage: String
        public var externalMessage: String
        /// The auto-reply found when planning: the before-state undo restores.
        public var previous: BeforeState?
    }
    public struct BeforeState: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var internalMessage: String?
        public var externalMessage: String?
    }

    public static let kind: StepKind = "set-auto-reply"
    public static let policyName = "auto-reply"
    public static let policyAliases = ["out-of-office", "set-auto-reply"]
    public static let phase = Phase.preservation
    public static let permissions = PermissionRequirement.exchange
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Turn on the out-of-office reply", reads: "Get-MailboxAutoReplyConfiguration",
        changes: "Set-MailboxAutoReplyConfiguration -AutoReplyState Enabled", verifies: "the auto-reply is enabled with the text",
        undo: "the earlier auto-reply, or -AutoReplyState Disabled with its earlier texts")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, let internalText = planning.policy.autoReplyInternal else {
            return
        }
        let values = planning.placeholders()
        let internalMessage = Placeholders.fill(internalText, values: values)
        let same = mailbox.autoReplyEnabled && mailbox.autoReplyInternalMessage == internalMessage
        planning.add(
            step(
                title: catalog.title,
                parameters: Parameters(
                    mailbox: mailbox.primarySmtpAddress, internalMessage: internalMessage,
                    externalMessage: Placeholders.fill(planning.policy.autoReplyExternal ?? internalText, values: values),
                    previous: BeforeState(
                        enabled: mailbox.autoReplyEnabled, internalMessage: mailbox.autoReplyInternalMessage,
                        externalMessage: mailbox.autoReplyExternalMessage)),
                disposition: same ? .alreadyDone("the auto-reply is already on with this text") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let reply = try await context.tenant.autoReply(context.userPrincipalName)
        return reply?.enabled == true && reply?.internalMessage == parameters.internalMessage ? "the auto-reply is already on" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setAutoReply(context.userPrincipalName, parameters.internalMessage, parameters.externalMessage)
        return StepOutcome(
            before: parameters.previous.map { $0.enabled ? "auto-reply on: “\($0.internalMessage ?? "")”" : "auto-reply off" },
            after: "auto-reply on: “\(parameters.internalMessage)”", beforeState: parameters.previous.map(recording))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        let reply = try await context.tenant.autoReply(context.userPrincipalName)
        if before.enabled {
            return reply?.enabled == true && reply?.internalMessage == before.internalMessage ? "the earlier auto-reply is back" : nil
        }
        return reply?.enabled == false && (reply?.internalMessage ?? "") == (before.internalMessage ?? "")
            ? "the auto-reply is off again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        if before.enabled {
            let internalMessage = before.internalMessage ?? ""
            try await context.tenant.setAutoReply(context.userPrincipalName, internalMessage, before.externalMessage ?? internalMessage)
            return StepOutcome(after: "the earlier auto-reply: “\(internalMessage)”")
        }
        try await context.tenant.disableAutoReply(
            context.userPrincipalName, before.internalMessage ?? "", before.externalMessage ?? "")
        return StepOutcome(before: "auto-reply on", after: "auto-reply off")
    }
}
