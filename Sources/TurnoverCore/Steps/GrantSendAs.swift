import Foundation

/// Lets the delegate send as the kept mailbox, so replies to the leaver's contacts come from the
/// address they know. Opt-in.
public enum GrantSendAs: DelegateSendRight {
    public static let kind: StepKind = "grant-send-as"
    public static let policyName = "grant-send-as"
    public static let right = MailboxRight.Kind.sendAs
    public static let catalog = StepCatalogEntry(
        title: "Give the delegate Send As on the mailbox", reads: "Get-RecipientPermission -Identity",
        changes: "Add-RecipientPermission -AccessRights SendAs", verifies: "the delegate holds Send As",
        undo: "Remove-RecipientPermission")
    public static func holders(_ mailbox: MailboxInfo) -> [String] { mailbox.sendAsHolders }
}
