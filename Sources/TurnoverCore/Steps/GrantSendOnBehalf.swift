import Foundation

/// Lets the delegate send on behalf of the kept mailbox ("Kate on behalf of Ben"), so recipients see
/// who answers. Opt-in.
public enum GrantSendOnBehalf: DelegateSendRight {
    public static let kind: StepKind = "grant-send-on-behalf"
    public static let policyName = "grant-send-on-behalf"
    public static let right = MailboxRight.Kind.sendOnBehalf
    public static let catalog = StepCatalogEntry(
        title: "Give the delegate Send on Behalf of the mailbox", reads: "Get-Mailbox GrantSendOnBehalfTo",
        changes: "Set-Mailbox -GrantSendOnBehalfTo @{add=delegate}", verifies: "the delegate is in GrantSendOnBehalfTo",
        undo: "Set-Mailbox -GrantSendOnBehalfTo @{remove=delegate}")
    public static func holders(_ mailbox: MailboxInfo) -> [String] { mailbox.sendOnBehalfHolders }
}
