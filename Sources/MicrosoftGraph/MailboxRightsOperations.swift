public import Foundation

/// The rights one user holds on *other* mailboxes, found by a live reverse lookup (graph-api.md §2).
///
/// Exchange filters Send As by trustee on the server (`Get-RecipientPermission -Trustee`), and every
/// mailbox's Send on Behalf list comes with the mailbox list itself. Full Access and calendar
/// permissions have no server-side filter by holder: each mailbox is asked, concurrently, and the
/// requests travel in Exchange batches.
extension MicrosoftClient {
    /// Every mailbox in the tenant (one `Get-MailboxPermission`-sized list; `-ResultSize Unlimited`).
    public func allMailboxes() async throws -> [ExchangeMailbox] {
        try await exchange(
            ExchangeCommand(
                "Get-Mailbox", ["ResultSize": "Unlimited"],
                select: [
                    "PrimarySmtpAddress", "RecipientTypeDetails", "GrantSendOnBehalfTo", "ExternalDirectoryObjectId", "UserPrincipalName",
                ])
        ).compactMap { try? $0.decode(ExchangeMailbox.self) }
    }

    /// The mailboxes on which `trustee` holds Send As, by their identity.
    public func sendAsMailboxes(trustee: String) async throws -> [String] {
        try await exchange(
            ExchangeCommand("Get-RecipientPermission", ["Trustee": .string(trustee), "ResultSize": "Unlimited"])
        ).filter { $0["AccessRights"]?.array?.contains(.string("SendAs")) ?? ($0["AccessRights"]?.string == "SendAs") }
            .compactMap { $0["Identity"]?.string }
    }

    /// `{mailbox}:\Calendar` permissions: who holds which rights.
    public func calendarPermissions(_ mailbox: String) async throws -> [(user: String, rights: [String])] {
        try await exchange(
            ExchangeCommand("Get-MailboxFolderPermission", ["Identity": .string("\(mailbox):\\Calendar")], anchorMailbox: mailbox)
        ).map { entry in
            let user = entry["User"]?.string ?? entry["User"]?["DisplayName"]?.string ?? ""
            return (user, entry["AccessRights"]?.array?.compactMap(\.string) ?? [])
        }
    }

    /// Who holds Send As on a mailbox (not the mailbox's own SELF entry).
    public func sendAsTrustees(_ mailbox: String) async throws -> [String] {
        try await exchange(ExchangeCommand("Get-RecipientPermission", ["Identity": .string(mailbox)])).compactMap {
            $0["Trustee"]?.string
        }.filter { !$0.uppercased().hasPrefix("NT AUTHORITY") }
    }

    public func holdsSendAs(mailbox: String, trustee: String) async throws -> Bool {
        try await !exchange(
            ExchangeCommand("Get-RecipientPermission", ["Identity": .string(mailbox), "Trustee": .string(trustee)])
        ).isEmpty
    }

    public func addSendAs(mailbox: String, trustee: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Add-RecipientPermission", ["Identity": .string(mailbox), "Trustee": .string(trustee), "AccessRights": ["SendAs"]],
                idempotency: .safe))
    }

    public func removeSendAs(mailbox: String, trustee: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Remove-RecipientPermission", ["Identity": .string(mailbox), "Trustee": .string(trustee), "AccessRights": ["SendAs"]],
                idempotency: .safe))
    }

    /// Adds or removes one delegate from Send on Behalf, leaving the others (`@{add=…}` / `@{remove=…}`).
    public func changeSendOnBehalf(mailbox: String, delegate: String, add: Bool) async throws {
        try await setMailbox(mailbox, ["GrantSendOnBehalfTo": [add ? "add" : "remove": [.string(delegate)]]])
    }

    public func addCalendarPermission(mailbox: String, user: String, rights: [String]) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Add-MailboxFolderPermission",
                [
                    "Identity": .string("\(mailbox):\\Calendar"), "User": .string(user),
                    "AccessRights": .array(rights.map(JSONValue.string)),
                ],
                anchorMailbox: mailbox, idempotency: .never))
    }

    public func removeCalendarPermission(mailbox: String, user: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Remove-MailboxFolderPermission", ["Identity": .string("\(mailbox):\\Calendar"), "User": .string(user), "Force": true],
                anchorMailbox: mailbox, idempotency: .never))
    }
}
