import Foundation

/// Removes the leaver's inbox rules in one step, so no rule keeps forwarding, redirecting or deleting
/// mail that now matters to the delegate. Exchange's own rules (junk e-mail, out-of-office) are hidden
/// from `Get-InboxRule` without `-IncludeHidden`, so they are never touched.
public enum RemoveInboxRules: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var rules: [InboxRuleInfo]
    }
    /// The rules as they were, kept for the record: a rule's full definition cannot be recreated.
    public struct BeforeState: Codable, Sendable, Equatable { public var rules: [InboxRuleInfo] }

    public static let kind: StepKind = "remove-inbox-rules"
    public static let policyName = "remove-inbox-rules"
    /// A rule that forwards out is a leak: it goes while access is cut.
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "a removed inbox rule cannot be recreated exactly; the report and the run keep each rule's name and targets")
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Remove the inbox rules", reads: "Get-InboxRule -Mailbox", changes: "Remove-InboxRule for each (concurrently)",
        verifies: "Get-InboxRule lists none of them", undo: "none (names and targets are in the record)")

    public static func plan(_ planning: inout PlanningContext) {
        guard let mailbox = planning.mailbox, !mailbox.inboxRules.isEmpty else { return }
        let enabled = planning.isEnabled(Self.self)
        for rule in mailbox.forwardingRules {
            planning.warn(
                Finding(
                    "forwarding-rule",
                    "Inbox rule '\(rule.name)' forwards or redirects to \(rule.targets.joined(separator: ", "))"
                        + (rule.external ? " (external)" : "")
                        + (enabled ? "; it is removed." : "; the policy does not remove inbox rules.")))
        }
        guard enabled else { return }
        let rules = mailbox.inboxRules.filter { $0.identity != nil }
        planning.add(
            step(
                title: "Remove \(rules.count) inbox rule(s): \(rules.map { "'\($0.name)'" }.joined(separator: ", "))",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, rules: rules)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let live = Set(try await context.tenant.inboxRuleIdentities(context.userPrincipalName))
        return parameters.rules.contains { live.contains($0.identity ?? "") } ? nil : "the inbox rules are gone"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        let tenant = context.tenant
        let mailbox = context.userPrincipalName
        try await withThrowingTaskGroup(of: Void.self) { group in
            for rule in parameters.rules {
                guard let identity = rule.identity else { continue }
                group.addTask { _ = try await tenant.removeInboxRule(mailbox, identity) }
            }
            try await group.waitForAll()
        }
        return StepOutcome(
            before: parameters.rules.map(\.name).joined(separator: ", "), after: "no inbox rules",
            beforeState: recording(BeforeState(rules: parameters.rules)))
    }
}
