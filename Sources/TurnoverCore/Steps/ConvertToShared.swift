public import Foundation

/// Converts the mailbox to shared *before* any licence goes: a shared mailbox under 50 GB needs no
/// licence, so the mail is kept instead of being deleted with the licence.
public enum ConvertToShared: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var recipientTypeDetails: String }

    public static let kind: StepKind = "convert-to-shared"
    public static let policyName = "convert-to-shared"
    public static let phase = Phase.preservation
    public static let settling = Settling.eventual
    public static let establishes: Set<RunFact> = [.mailboxIsShared]
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Convert the mailbox to shared (kept, no licence needed)", reads: "Get-Mailbox RecipientTypeDetails",
        changes: "Set-Mailbox -Type Shared", verifies: "Get-Mailbox reports SharedMailbox (polled)",
        undo: "Set-Mailbox -Type Regular (needs a licence)")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, mailbox.isUserMailbox || mailbox.isShared else { return }
        let parameters = Parameters(mailbox: mailbox.primarySmtpAddress)
        if planning.user.isSynced, mailbox.isUserMailbox {
            // In hybrid the mailbox is mastered on-premises: the next directory sync reverts a cloud
            // conversion, and the mailbox would then sit unlicensed on the path to deletion.
            planning.add(
                step(
                    title: catalog.title, parameters: parameters,
                    disposition: .report(
                        "the user is synced from on-premises AD: convert it there (Set-RemoteMailbox -Type Shared), because the next sync reverts a cloud conversion"
                    )))
            planning.retain(
                "Mailbox \(mailbox.primarySmtpAddress) stays a user mailbox with its Exchange licence until it is converted on-premises.")
            return
        }
        planning.add(
            step(
                title: catalog.title, parameters: parameters,
                disposition: mailbox.isShared ? .alreadyDone("the mailbox is already shared") : .run))
        let review =
            planning.policy.retainMailboxDays.map { days in
                let date = ISO8601DateFormatter.string(
                    from: planning.now.addingTimeInterval(Double(days) * 86_400), timeZone: .gmt, formatOptions: [.withFullDate])
                return mailbox.litigationHold
                    ? " (on hold: kept while the hold lasts; review on \(date))" : " until \(date) (policy: \(days) days), then review"
            } ?? ""
        planning.retain(
            "Mailbox \(mailbox.primarySmtpAddress) kept as a shared mailbox" + (mailbox.litigationHold ? " on litigation hold" : "")
                + review
                + ".")
        planning.warn(Finding("shared-keeps-mail", "The shared mailbox keeps receiving mail sent to \(mailbox.primarySmtpAddress)."))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.mailbox(context.userPrincipalName)?.isShared == true ? "the mailbox is already shared" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.convertMailbox(context.userPrincipalName, true)
        return StepOutcome(
            before: "UserMailbox", after: "SharedMailbox", beforeState: recording(BeforeState(recipientTypeDetails: "UserMailbox")))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.mailbox(context.userPrincipalName)?.type == before.recipientTypeDetails
            ? "the mailbox is a \(before.recipientTypeDetails) again" : nil
    }

    /// Undo plans run licences back first (a later phase is undone earlier), so the user mailbox has
    /// its licence again when it is converted back.
    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.convertMailbox(context.userPrincipalName, before.recipientTypeDetails == "SharedMailbox")
        return StepOutcome(before: "SharedMailbox", after: before.recipientTypeDetails)
    }
}
