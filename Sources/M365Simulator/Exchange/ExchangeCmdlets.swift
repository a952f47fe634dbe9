import Foundation

/// The cmdlets the simulated Exchange admin API accepts, with the parameters each one takes.
enum ExchangeCmdlets {
    static func run(_ cmdlet: ExchangeCmdlet, _ call: inout ExchangeCall, data: inout TenantData) throws -> [JSONValue] {
        try cmdlet.handler(&call, &data)
    }

    private static func spec(_ parameters: [String], writes: Bool, _ handler: @escaping ExchangeCmdletHandler) -> ExchangeCmdlet {
        ExchangeCmdlet(
            parameters: Set((parameters + ["Confirm", "ErrorAction", "WarningAction"]).map { $0.lowercased() }), writes: writes,
            handler: handler)
    }

    static let table: [String: ExchangeCmdlet] = [
        "get-mailbox": spec(
            ["Identity", "ResultSize", "RecipientTypeDetails", "Filter", "IncludeInactiveMailbox", "SoftDeletedMailbox"], writes: false,
            getMailbox),
        "set-mailbox": spec(
            [
                "Identity", "Type", "HiddenFromAddressListsEnabled", "ForwardingAddress", "ForwardingSmtpAddress",
                "DeliverToMailboxAndForward",
                "LitigationHoldEnabled", "LitigationHoldDuration", "LitigationHoldOwner", "GrantSendOnBehalfTo", "RetentionHoldEnabled",
                "Force",
            ],
            writes: true, setMailbox),
        "get-mailboxstatistics": spec(["Identity", "Archive"], writes: false, getMailboxStatistics),
        "get-mailboxpermission": spec(["Identity", "User", "ResultSize"], writes: false, getMailboxPermission),
        "add-mailboxpermission": spec(
            ["Identity", "User", "AccessRights", "InheritanceType", "AutoMapping"], writes: true, addMailboxPermission),
        "remove-mailboxpermission": spec(
            ["Identity", "User", "AccessRights", "InheritanceType", "BypassMasterAccountSid"], writes: true, removeMailboxPermission),
        "get-recipientpermission": spec(["Identity", "Trustee", "AccessRights", "ResultSize"], writes: false, getRecipientPermission),
        "add-recipientpermission": spec(["Identity", "Trustee", "AccessRights"], writes: true, addRecipientPermission),
        "remove-recipientpermission": spec(["Identity", "Trustee", "AccessRights"], writes: true, removeRecipientPermission),
        "get-inboxrule": spec(["Mailbox", "Identity", "IncludeHidden"], writes: false, getInboxRule),
        "remove-inboxrule": spec(["Identity", "Mailbox", "AlwaysDeleteOutlookRulesBlob", "Force"], writes: true, removeInboxRule),
        "disable-inboxrule": spec(["Identity", "Mailbox", "AlwaysDeleteOutlookRulesBlob", "Force"], writes: true, disableInboxRule),
        "get-mobiledevice": spec(["Mailbox", "Identity", "ResultSize"], writes: false, getMobileDevice),
        "get-mobiledevicestatistics": spec(["Mailbox", "Identity"], writes: false, getMobileDeviceStatistics),
        "remove-mobiledevice": spec(["Identity"], writes: true, removeMobileDevice),
        "clear-mobiledevice": spec(["Identity", "AccountOnly", "NotificationEmailAddresses", "Cancel"], writes: true, clearMobileDevice),
        "remove-calendarevents": spec(
            ["Identity", "CancelOrganizedMeetings", "QueryWindowInDays", "QueryStartDate", "PreviewOnly"], writes: true,
            removeCalendarEvents),
        "get-mailboxautoreplyconfiguration": spec(["Identity"], writes: false, getAutoReply),
        "set-mailboxautoreplyconfiguration": spec(
            ["Identity", "AutoReplyState", "InternalMessage", "ExternalMessage", "ExternalAudience", "StartTime", "EndTime"], writes: true,
            setAutoReply),
        "get-distributiongroup": spec(["Identity", "ResultSize"], writes: false, getDistributionGroup),
        "set-distributiongroup": spec(["Identity", "ManagedBy", "BypassSecurityGroupManagerCheck"], writes: true, setDistributionGroup),
        "get-distributiongroupmember": spec(["Identity", "ResultSize"], writes: false, getDistributionGroupMember),
        "add-distributiongroupmember": spec(
            ["Identity", "Member", "BypassSecurityGroupManagerCheck"], writes: true, addDistributionGroupMember),
        "remove-distributiongroupmember": spec(
            ["Identity", "Member", "BypassSecurityGroupManagerCheck"], writes: true, removeDistributionGroupMember),
        "get-mailboxfolderpermission": spec(["Identity", "User"], writes: false, getFolderPermission),
        "add-mailboxfolderpermission": spec(
            ["Identity", "User", "AccessRights", "SharingPermissionFlags", "SendNotificationToUser"], writes: true, addFolderPermission),
        "set-mailboxfolderpermission": spec(
            ["Identity", "User", "AccessRights", "SharingPermissionFlags", "SendNotificationToUser"], writes: true, setFolderPermission),
        "remove-mailboxfolderpermission": spec(["Identity", "User", "Force"], writes: true, removeFolderPermission),
        "get-recipient": spec(["Identity", "ResultSize", "RecipientTypeDetails"], writes: false, getRecipient),
    ]

    // MARK: Rendering

    static func size(_ bytes: Int64) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        let grouped = formatter.string(from: NSNumber(value: bytes)) ?? String(bytes)
        let units: [(Double, String)] = [(1_099_511_627_776, "TB"), (1_073_741_824, "GB"), (1_048_576, "MB"), (1_024, "KB")]
        for (scale, unit) in units where Double(bytes) >= scale {
            return String(format: "%.2f %@ (%@ bytes)", Double(bytes) / scale, unit, grouped)
        }
        return "\(bytes) B (\(grouped) bytes)"
    }

    static func mailboxObject(_ mailbox: Mailbox, data: TenantData, now: Date) -> JSONValue {
        let user = data.users[mailbox.userId] ?? data.deletedUsers[mailbox.userId]?.user
        let type = mailbox.reportedType(at: now)
        return .object(
            JSONObject([
                ("Name", .string(mailbox.userId)),
                ("Identity", .string(mailbox.userId)),
                ("Id", .string(mailbox.userId)),
                ("Guid", .string(mailbox.exchangeGuid)),
                ("ExchangeGuid", .string(mailbox.exchangeGuid)),
                ("ExternalDirectoryObjectId", .string(mailbox.userId)),
                ("Alias", .string(mailbox.alias)),
                ("DisplayName", .string(mailbox.displayName)),
                ("UserPrincipalName", .optional(user?.userPrincipalName)),
                ("PrimarySmtpAddress", .string(mailbox.primarySmtpAddress)),
                ("WindowsEmailAddress", .string(mailbox.primarySmtpAddress)),
                ("EmailAddresses", .strings(user?.proxyAddresses ?? ["SMTP:\(mailbox.primarySmtpAddress)"])),
                ("RecipientType", "UserMailbox"),
                ("RecipientTypeDetails", .string(type.rawValue)),
                ("IsDirSynced", .bool(user?.isSynced ?? false)),
                ("AccountDisabled", .bool(!(user?.accountEnabled ?? false))),
                ("HiddenFromAddressListsEnabled", .bool(mailbox.hiddenFromAddressListsEnabled)),
                ("ForwardingAddress", .optional(mailbox.forwardingAddress)),
                ("ForwardingSmtpAddress", .optional(mailbox.forwardingSmtpAddress)),
                ("DeliverToMailboxAndForward", .bool(mailbox.deliverToMailboxAndForward)),
                ("LitigationHoldEnabled", .bool(mailbox.litigationHoldEnabled)),
                ("LitigationHoldDuration", .string(mailbox.litigationHoldDuration)),
                ("LitigationHoldDate", .optional(mailbox.litigationHoldDate.map(GraphDate.directory))),
                ("LitigationHoldOwner", .optional(mailbox.litigationHoldOwner)),
                ("InPlaceHolds", .strings(mailbox.inPlaceHolds)),
                ("RetentionHoldEnabled", .bool(mailbox.retentionHoldEnabled)),
                ("ArchiveStatus", .string(mailbox.archiveEnabled ? "Active" : "None")),
                (
                    "ArchiveGuid",
                    .string(
                        mailbox.archiveEnabled
                            ? DeterministicID.make("archive/\(mailbox.exchangeGuid)") : "00000000-0000-0000-0000-000000000000")
                ),
                ("GrantSendOnBehalfTo", .strings(mailbox.grantSendOnBehalfTo)),
                (
                    "ProhibitSendQuota",
                    .string(
                        type == .shared && !data.hasExchangeLicense(mailbox.userId)
                            ? "49 GB (52,613,349,376 bytes)" : "99 GB (106,300,440,576 bytes)")
                ),
                (
                    "ProhibitSendReceiveQuota",
                    .string(
                        type == .shared && !data.hasExchangeLicense(mailbox.userId)
                            ? "50 GB (53,687,091,200 bytes)" : "100 GB (107,374,182,400 bytes)")
                ),
                ("WhenSoftDeleted", .optional(data.deletedUsers[mailbox.userId].map { GraphDate.directory($0.deletedDateTime) })),
                ("IsInactiveMailbox", .bool(mailbox.isInactive)),
            ]))
    }

    static func recipientLabel(_ id: String, data: TenantData) -> String {
        data.users[id]?.userPrincipalName ?? data.groups[id]?.mail ?? id
    }

    // MARK: Mailboxes

    /// A deleted owner's mailbox is listed only when asked for: inactive ones with
    /// `-IncludeInactiveMailbox`, soft-deleted ones with `-SoftDeletedMailbox`.
    static func isListed(_ mailbox: Mailbox, _ call: ExchangeCall, data: TenantData) throws -> Bool {
        guard data.users[mailbox.userId] == nil else { return true }
        if mailbox.isInactive { return try call.bool("IncludeInactiveMailbox") == true }
        return try call.bool("SoftDeletedMailbox") == true
    }

    static let getMailbox: ExchangeCmdletHandler = { call, data in
        if call.has("Identity") {
            let id = try call.mailbox(in: data)
            guard try isListed(data.mailboxes[id]!, call, data: data) else { throw ExchangeError.notFound(try call.required("Identity")) }
            return [mailboxObject(data.mailboxes[id]!, data: data, now: call.now)]
        }
        var mailboxes = try data.userOrder.compactMap { data.mailboxes[$0] }.filter { try isListed($0, call, data: data) }
        mailboxes += try data.deletedUsers.keys.sorted().compactMap { data.mailboxes[$0] }.filter { try isListed($0, call, data: data) }
        if let wanted = try call.strings("RecipientTypeDetails") {
            mailboxes = mailboxes.filter { wanted.map { $0.lowercased() }.contains($0.reportedType(at: call.now).rawValue.lowercased()) }
        }
        return mailboxes.map { mailboxObject($0, data: data, now: call.now) }
    }

    static let setMailbox: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        var mailbox = data.mailboxes[id]!
        let before = mailbox
        let user = data.users[id]
        func outOfScope(_ parameter: String) throws {
            if user?.isSynced == true {
                throw ExchangeError.task(
                    "The operation on mailbox \"\(mailbox.userId)\" failed because it's out of the current user's write scope. The action 'Set-Mailbox', '\(parameter)', can't be performed on the object '\(mailbox.userId)' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
                    "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException")
            }
        }
        if let type = try call.string("Type") {
            guard let target = MailboxType(typeParameter: type) else {
                throw ExchangeError.invalidValue(
                    "Type",
                    "Cannot convert value \"\(type)\" to type \"Microsoft.Exchange.Management.RecipientTasks.ConvertibleMailboxSubType\". Error: \"Unable to match the identifier name \(type) to a valid enumerator name. Specify one of the following enumerator names and try again: Regular, Room, Equipment, Shared\""
                )
            }
            let current = mailbox.pendingConversion?.to ?? mailbox.type
            if current != target {
                if user?.isSynced == true, mailbox.onPremisesType == nil { mailbox.onPremisesType = mailbox.type }
                mailbox.settle(at: call.now)
                mailbox.pendingConversion = Mailbox.PendingConversion(
                    to: target, requestedAt: call.now,
                    effectiveAt: call.now.addingTimeInterval(Double(call.settings.mailboxConversionDelayMilliseconds) / 1_000))
            }
        }
        if let hidden = try call.bool("HiddenFromAddressListsEnabled"), hidden != mailbox.hiddenFromAddressListsEnabled {
            try outOfScope("HiddenFromAddressListsEnabled")
            mailbox.hiddenFromAddressListsEnabled = hidden
        }
        if call.has("ForwardingAddress") {
            if let target = try call.string("ForwardingAddress") {
                guard let recipient = data.recipientId(forIdentity: target) else { throw ExchangeError.notFound(target) }
                if recipient != mailbox.forwardingAddress { try outOfScope("ForwardingAddress") }
                mailbox.forwardingAddress = recipient
            } else {
                if mailbox.forwardingAddress != nil { try outOfScope("ForwardingAddress") }
                mailbox.forwardingAddress = nil
            }
        }
        if call.has("ForwardingSmtpAddress") {
            if let address = try call.string("ForwardingSmtpAddress") {
                let bare = address.lowercased().hasPrefix("smtp:") ? String(address.dropFirst(5)) : address
                guard bare.contains("@"), !bare.contains(" ") else {
                    throw ExchangeError.invalidValue("ForwardingSmtpAddress", "\"\(address)\" isn't a valid SMTP address.")
                }
                mailbox.forwardingSmtpAddress = "smtp:\(bare)"
            } else {
                mailbox.forwardingSmtpAddress = nil
            }
        }
        if let deliver = try call.bool("DeliverToMailboxAndForward") { mailbox.deliverToMailboxAndForward = deliver }
        if let hold = try call.bool("LitigationHoldEnabled"), hold != mailbox.litigationHoldEnabled {
            if hold {
                let plans = data.assignedLicenses(of: id).compactMap { data.sku(id: $0.skuId) }.flatMap(\.servicePlans).map(
                    \.servicePlanName)
                guard plans.contains("EXCHANGE_S_ENTERPRISE") || plans.contains("EXCHANGE_S_ARCHIVE_ADDON") else {
                    throw ExchangeError.task(
                        "The mailbox \(mailbox.userId) can't be placed on Litigation Hold because it doesn't have a license that includes Litigation Hold (Exchange Online Plan 2 or Exchange Online Archiving)."
                    )
                }
                mailbox.litigationHoldDate = call.now
                mailbox.litigationHoldOwner = call.app.displayName
            }
            mailbox.litigationHoldEnabled = hold
        }
        if let duration = try call.string("LitigationHoldDuration") {
            guard duration.lowercased() == "unlimited" || Int(duration) != nil else {
                throw ExchangeError.invalidValue(
                    "LitigationHoldDuration", "Cannot convert value \"\(duration)\" to type \"Unlimited[EnhancedTimeSpan]\".")
            }
            mailbox.litigationHoldDuration = duration.lowercased() == "unlimited" ? "Unlimited" : "\(duration).00:00:00"
        }
        if let owner = try call.string("LitigationHoldOwner") { mailbox.litigationHoldOwner = owner }
        if let retention = try call.bool("RetentionHoldEnabled") { mailbox.retentionHoldEnabled = retention }
        if let delegates = call.parameters["grantsendonbehalfto"] {
            var list = mailbox.grantSendOnBehalfTo
            func resolve(_ identity: String) throws -> String {
                guard let recipient = data.recipientId(forIdentity: identity) else { throw ExchangeError.notFound(identity) }
                return recipient
            }
            if let object = delegates.objectValue {
                for identity in object["add"]?.arrayValue?.compactMap(\.stringValue) ?? object["Add"]?.arrayValue?.compactMap(\.stringValue)
                    ?? []
                {
                    let recipient = try resolve(identity)
                    if !list.contains(recipient) { list.append(recipient) }
                }
                for identity in object["remove"]?.arrayValue?.compactMap(\.stringValue) ?? object["Remove"]?.arrayValue?.compactMap(
                    \.stringValue) ?? []
                {
                    let recipient = try resolve(identity)
                    list.removeAll { $0 == recipient }
                }
            } else {
                list = try (try call.strings("GrantSendOnBehalfTo") ?? []).map(resolve)
            }
            if list != mailbox.grantSendOnBehalfTo { try outOfScope("GrantSendOnBehalfTo") }
            mailbox.grantSendOnBehalfTo = list
        }
        if mailbox == before {
            call.warnings.append("The command completed successfully but no settings of '\(mailbox.userId)' have been modified.")
        }
        data.mailboxes[id] = mailbox
        // A conversion settles licence consequences once Exchange reports it; nothing else changes licences here.
        return []
    }

    static let getMailboxStatistics: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        let mailbox = data.mailboxes[id]!
        let archive = try call.bool("Archive") ?? false
        if archive, !mailbox.archiveEnabled {
            throw ExchangeError.task("The mailbox '\(id)' doesn't have an archive.")
        }
        let bytes = archive ? mailbox.archiveSizeBytes : mailbox.totalItemSizeBytes
        return [
            .object(
                JSONObject([
                    ("DisplayName", .string(mailbox.displayName)),
                    ("MailboxGuid", .string(archive ? DeterministicID.make("archive/\(mailbox.exchangeGuid)") : mailbox.exchangeGuid)),
                    ("TotalItemSize", .string(size(bytes))),
                    ("TotalDeletedItemSize", .string(size(bytes / 40))),
                    ("ItemCount", .int(Int64(archive ? Int(bytes / 90_000) : mailbox.itemCount))),
                    ("MailboxTypeDetail", .string(mailbox.reportedType(at: call.now).rawValue)),
                    ("LastLogonTime", .optional(data.users[id]?.lastSignInDateTime.map(GraphDate.directory))),
                ]))
        ]
    }

    // MARK: Permissions

    static func fullAccessEntry(_ mailbox: Mailbox, trustee: String, data: TenantData) -> JSONValue {
        [
            "Identity": .string(mailbox.userId), "User": .string(recipientLabel(trustee, data: data)), "AccessRights": ["FullAccess"],
            "IsInherited": false, "Deny": false, "InheritanceType": "All",
        ]
    }

    static let getMailboxPermission: ExchangeCmdletHandler = { call, data in
        var trustee: String?
        if call.has("User") { trustee = try call.recipient("User", in: data) }
        let mailboxes: [Mailbox]
        if call.has("Identity") {
            mailboxes = [data.mailboxes[try call.mailbox(in: data)]!]
        } else {
            guard trustee != nil else { throw ExchangeError.missing("Identity") }
            mailboxes = data.userOrder.compactMap { data.mailboxes[$0] }
        }
        var entries: [JSONValue] = []
        for mailbox in mailboxes {
            if trustee == nil {
                entries.append([
                    "Identity": .string(mailbox.userId), "User": "NT AUTHORITY\\SELF", "AccessRights": ["FullAccess", "ReadPermission"],
                    "IsInherited": false, "Deny": false, "InheritanceType": "All",
                ])
            }
            for grant in mailbox.fullAccess where trustee == nil || grant.trusteeId == trustee {
                entries.append(fullAccessEntry(mailbox, trustee: grant.trusteeId, data: data))
            }
        }
        return entries
    }

    static func accessRights(_ call: ExchangeCall, allowed: Set<String>) throws -> [String] {
        let rights = try call.strings("AccessRights") ?? []
        guard !rights.isEmpty else { throw ExchangeError.missing("AccessRights") }
        for right in rights where !allowed.contains(right.lowercased()) {
            throw ExchangeError.invalidValue(
                "AccessRights",
                "Cannot convert value \"\(right)\" to type \"Microsoft.Exchange.Management.RecipientTasks.MailboxRights[]\".")
        }
        return rights
    }

    static let addMailboxPermission: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        let trustee = try call.recipient("User", in: data)
        _ = try accessRights(call, allowed: ["fullaccess"])
        let autoMapping = try call.bool("AutoMapping") ?? true
        if !data.mailboxes[id]!.fullAccess.contains(where: { $0.trusteeId == trustee }) {
            data.mailboxes[id]!.fullAccess.append(MailboxPermissionGrant(trusteeId: trustee, autoMapping: autoMapping))
        }
        return [fullAccessEntry(data.mailboxes[id]!, trustee: trustee, data: data)]
    }

    static let removeMailboxPermission: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        let trustee = try call.recipient("User", in: data)
        _ = try accessRights(call, allowed: ["fullaccess"])
        if data.mailboxes[id]!.fullAccess.contains(where: { $0.trusteeId == trustee }) {
            data.mailboxes[id]!.fullAccess.removeAll { $0.trusteeId == trustee }
        } else {
            call.warnings.append(
                "Can't remove the access control entry on the object '\(id)' for account '\(recipientLabel(trustee, data: data))' because the ACE isn't present."
            )
        }
        return []
    }

    static func sendAsEntry(_ mailbox: Mailbox, trustee: String, data: TenantData) -> JSONValue {
        [
            "Identity": .string(mailbox.userId), "Trustee": .string(recipientLabel(trustee, data: data)), "AccessControlType": "Allow",
            "AccessRights": ["SendAs"], "IsInherited": false, "InheritanceType": "None",
        ]
    }

    static let getRecipientPermission: ExchangeCmdletHandler = { call, data in
        var trustee: String?
        if call.has("Trustee") { trustee = try call.recipient("Trustee", in: data) }
        let mailboxes: [Mailbox]
        if call.has("Identity") {
            mailboxes = [data.mailboxes[try call.mailbox(in: data)]!]
        } else {
            guard trustee != nil else { throw ExchangeError.missing("Identity") }
            mailboxes = data.userOrder.compactMap { data.mailboxes[$0] }
        }
        var entries: [JSONValue] = []
        for mailbox in mailboxes {
            if trustee == nil {
                entries.append([
                    "Identity": .string(mailbox.userId), "Trustee": "NT AUTHORITY\\SELF", "AccessControlType": "Allow",
                    "AccessRights": ["SendAs"],
                    "IsInherited": false, "InheritanceType": "None",
                ])
            }
            for grantee in mailbox.sendAs where trustee == nil || grantee == trustee {
                entries.append(sendAsEntry(mailbox, trustee: grantee, data: data))
            }
        }
        return entries
    }

    static let addRecipientPermission: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        let trustee = try call.recipient("Trustee", in: data)
        _ = try accessRights(call, allowed: ["sendas"])
        if !data.mailboxes[id]!.sendAs.contains(trustee) { data.mailboxes[id]!.sendAs.append(trustee) }
        return [sendAsEntry(data.mailboxes[id]!, trustee: trustee, data: data)]
    }

    static let removeRecipientPermission: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        let trustee = try call.recipient("Trustee", in: data)
        _ = try accessRights(call, allowed: ["sendas"])
        if data.mailboxes[id]!.sendAs.contains(trustee) {
            data.mailboxes[id]!.sendAs.removeAll { $0 == trustee }
        } else {
            call.warnings.append(
                "Can't remove the access control entry on the object '\(id)' for account '\(recipientLabel(trustee, data: data))' because the ACE isn't present."
            )
        }
        return []
    }

    // MARK: Inbox rules

    static func ruleObject(_ rule: InboxRule, mailbox: Mailbox, data: TenantData) -> JSONValue {
        func format(_ addresses: [String]) -> JSONValue {
            .strings(addresses.map { "\"\(data.displayName(forAddress: $0))\" [SMTP:\($0)]" })
        }
        var description = "If the message:\r\n"
        if !rule.fromContains.isEmpty { description += "\tfrom \(rule.fromContains.joined(separator: " or "))\r\n" }
        description += "Take the following actions:\r\n"
        if !rule.forwardTo.isEmpty { description += "\tforward the message to \(rule.forwardTo.joined(separator: " or "))\r\n" }
        if !rule.redirectTo.isEmpty { description += "\tredirect the message to \(rule.redirectTo.joined(separator: " or "))\r\n" }
        return .object(
            JSONObject([
                ("Name", .string(rule.name)),
                ("Identity", .string("\(mailbox.userId)\\\(rule.id)")),
                ("RuleIdentity", .string(rule.id)),
                ("MailboxOwnerId", .string(mailbox.userId)),
                ("Enabled", .bool(rule.enabled)),
                ("Priority", .int(Int64(rule.priority))),
                ("ForwardTo", rule.forwardTo.isEmpty ? .null : format(rule.forwardTo)),
                ("RedirectTo", rule.redirectTo.isEmpty ? .null : format(rule.redirectTo)),
                ("ForwardAsAttachmentTo", rule.forwardAsAttachmentTo.isEmpty ? .null : format(rule.forwardAsAttachmentTo)),
                ("MoveToFolder", .optional(rule.moveToFolder)),
                ("DeleteMessage", .bool(rule.deleteMessage)),
                ("Description", .string(description)),
                ("InError", false),
            ]))
    }

    /// Resolves `-Identity` of an inbox rule: `mailbox\ruleId`, a rule id or a rule name with `-Mailbox`.
    static func rule(_ call: ExchangeCall, data: TenantData) throws -> (mailboxId: String, ruleId: String) {
        let identity = try call.required("Identity")
        var mailboxId: String?
        var ruleKey = identity
        if let slash = identity.firstIndex(of: "\\") {
            mailboxId = data.mailboxUserId(forIdentity: String(identity[..<slash]))
            ruleKey = String(identity[identity.index(after: slash)...])
        } else if call.has("Mailbox") {
            mailboxId = try call.mailbox("Mailbox", in: data)
        }
        let candidates = mailboxId.map { [$0] } ?? data.userOrder
        for candidate in candidates {
            if let rule = data.mailboxes[candidate]?.inboxRules.first(where: {
                $0.id == ruleKey || $0.name.lowercased() == ruleKey.lowercased()
            }) {
                return (candidate, rule.id)
            }
        }
        throw ExchangeError.notFound(identity)
    }

    static let getInboxRule: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox("Mailbox", in: data)
        let mailbox = data.mailboxes[id]!
        let includeHidden = try call.bool("IncludeHidden") ?? false
        var rules = mailbox.inboxRules.filter { includeHidden || !$0.hidden }
        if call.has("Identity") {
            let (_, ruleId) = try rule(call, data: data)
            rules = rules.filter { $0.id == ruleId }
        }
        return rules.map { ruleObject($0, mailbox: mailbox, data: data) }
    }

    static let removeInboxRule: ExchangeCmdletHandler = { call, data in
        let (mailboxId, ruleId) = try rule(call, data: data)
        data.mailboxes[mailboxId]!.inboxRules.removeAll { $0.id == ruleId }
        return []
    }

    static let disableInboxRule: ExchangeCmdletHandler = { call, data in
        let (mailboxId, ruleId) = try rule(call, data: data)
        if let index = data.mailboxes[mailboxId]!.inboxRules.firstIndex(where: { $0.id == ruleId }) {
            data.mailboxes[mailboxId]!.inboxRules[index].enabled = false
        }
        return []
    }

    // MARK: Mobile devices

    static func deviceObject(_ device: MobileDevice, mailbox: Mailbox) -> JSONValue {
        .object(
            JSONObject([
                ("Identity", .string("\(mailbox.userId)\\ExchangeActiveSyncDevices\\\(device.deviceType)§\(device.deviceId)")),
                ("Guid", .string(device.id)),
                ("DeviceId", .string(device.deviceId)),
                ("DeviceType", .string(device.deviceType)),
                ("DeviceModel", .string(device.deviceModel)),
                ("DeviceOS", .string(device.deviceOS)),
                ("FriendlyName", .string(device.friendlyName)),
                ("ClientType", .string(device.clientType)),
                ("FirstSyncTime", .string(GraphDate.directory(device.firstSyncTime))),
                ("DeviceAccessState", .string(device.accessState)),
                ("UserDisplayName", .string(mailbox.displayName)),
            ]))
    }

    /// A mobile device by `-Identity`: its GUID, its DeviceId, or the full `mailbox\ExchangeActiveSyncDevices\…` identity.
    static func mobileDevice(_ call: ExchangeCall, data: TenantData) throws -> (mailboxId: String, index: Int) {
        let identity = try call.required("Identity")
        let key = identity.lowercased()
        for mailboxId in data.userOrder {
            guard let devices = data.mailboxes[mailboxId]?.mobileDevices else { continue }
            if let index = devices.firstIndex(where: { device in
                device.id.lowercased() == key || device.deviceId.lowercased() == key || key.hasSuffix("§" + device.deviceId.lowercased())
            }) {
                return (mailboxId, index)
            }
        }
        throw ExchangeError.notFound(identity)
    }

    static let getMobileDevice: ExchangeCmdletHandler = { call, data in
        if call.has("Identity") {
            let (mailboxId, index) = try mobileDevice(call, data: data)
            return [deviceObject(data.mailboxes[mailboxId]!.mobileDevices[index], mailbox: data.mailboxes[mailboxId]!)]
        }
        let id = try call.mailbox("Mailbox", in: data)
        let mailbox = data.mailboxes[id]!
        return mailbox.mobileDevices.map { deviceObject($0, mailbox: mailbox) }
    }

    static let getMobileDeviceStatistics: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox("Mailbox", in: data)
        let mailbox = data.mailboxes[id]!
        return mailbox.mobileDevices.map { device in
            let status =
                device.wipeRequestTime != nil
                ? "DeviceWipePending" : device.accountOnlyWipeRequestTime != nil ? "AccountOnlyDeviceWipePending" : "DeviceOk"
            return .object(
                JSONObject([
                    ("Identity", .string("\(mailbox.userId)\\ExchangeActiveSyncDevices\\\(device.deviceType)§\(device.deviceId)")),
                    ("DeviceId", .string(device.deviceId)),
                    ("DeviceModel", .string(device.deviceModel)),
                    ("LastSuccessSync", .string(GraphDate.directory(device.lastSyncTime))),
                    ("Status", .string(status)),
                    ("DeviceWipeRequestTime", .optional(device.wipeRequestTime.map(GraphDate.directory))),
                    ("AccountOnlyDeviceWipeRequestTime", .optional(device.accountOnlyWipeRequestTime.map(GraphDate.directory))),
                ]))
        }
    }

    static let removeMobileDevice: ExchangeCmdletHandler = { call, data in
        let (mailboxId, index) = try mobileDevice(call, data: data)
        data.mailboxes[mailboxId]!.mobileDevices.remove(at: index)
        return []
    }

    static let clearMobileDevice: ExchangeCmdletHandler = { call, data in
        let (mailboxId, index) = try mobileDevice(call, data: data)
        if try call.bool("Cancel") == true {
            data.mailboxes[mailboxId]!.mobileDevices[index].wipeRequestTime = nil
            data.mailboxes[mailboxId]!.mobileDevices[index].accountOnlyWipeRequestTime = nil
        } else if try call.bool("AccountOnly") == true {
            data.mailboxes[mailboxId]!.mobileDevices[index].accountOnlyWipeRequestTime = call.now
        } else {
            data.mailboxes[mailboxId]!.mobileDevices[index].wipeRequestTime = call.now
        }
        return []
    }

    // MARK: Calendar

    static let removeCalendarEvents: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        guard try call.bool("CancelOrganizedMeetings") == true else {
            throw ExchangeError.task(
                "Specify CancelOrganizedMeetings; the simulator models only cancelling the mailbox's organised meetings.")
        }
        guard let days = try call.int("QueryWindowInDays") else { throw ExchangeError.missing("QueryWindowInDays") }
        guard (1...1_825).contains(days) else {
            throw ExchangeError.invalidValue("QueryWindowInDays", "The value \(days) is outside the range 1 to 1825.")
        }
        let start = try call.date("QueryStartDate") ?? call.now
        let end = start.addingTimeInterval(Double(days) * 86_400)
        let preview = try call.bool("PreviewOnly") ?? false
        var affected: [JSONValue] = []
        for (index, event) in data.mailboxes[id]!.events.enumerated() {
            guard event.isOrganizer, !event.isCancelled, !event.attendees.isEmpty else { continue }
            let touches = event.isRecurringSeries ? event.start < end : (event.start >= start && event.start < end)
            guard touches else { continue }
            affected.append([
                "Subject": .string(event.subject), "Start": .string(GraphDate.directory(event.start)),
                "End": .string(GraphDate.directory(event.end)),
                "Identity": .string(event.id), "Status": .string(preview ? "Preview" : "Cancelled"),
            ])
            if !preview { data.mailboxes[id]!.events[index].isCancelled = true }
        }
        return affected
    }

    // MARK: Automatic replies

    static func autoReplyObject(_ mailbox: Mailbox) -> JSONValue {
        [
            "Identity": .string(mailbox.userId), "AutoReplyState": .string(mailbox.autoReply.state),
            "InternalMessage": .string(mailbox.autoReply.internalMessage), "ExternalMessage": .string(mailbox.autoReply.externalMessage),
            "ExternalAudience": .string(mailbox.autoReply.externalAudience),
            "StartTime": .optional(mailbox.autoReply.startTime.map(GraphDate.directory)),
            "EndTime": .optional(mailbox.autoReply.endTime.map(GraphDate.directory)),
        ]
    }

    static let getAutoReply: ExchangeCmdletHandler = { call, data in
        return [autoReplyObject(data.mailboxes[try call.mailbox(in: data)]!)]
    }

    static let setAutoReply: ExchangeCmdletHandler = { call, data in
        let id = try call.mailbox(in: data)
        var reply = data.mailboxes[id]!.autoReply
        if let value = try call.string("AutoReplyState") {
            guard let canonical = ["enabled": "Enabled", "disabled": "Disabled", "scheduled": "Scheduled"][value.lowercased()] else {
                throw ExchangeError.invalidValue(
                    "AutoReplyState", "Cannot convert value \"\(value)\" to type \"Microsoft.Exchange.Data.Storage.OofState\".")
            }
            reply.state = canonical
        }
        if let text = try call.string("InternalMessage") { reply.internalMessage = text }
        if let text = try call.string("ExternalMessage") { reply.externalMessage = text }
        if let value = try call.string("ExternalAudience") {
            guard let canonical = ["none": "None", "known": "Known", "all": "All"][value.lowercased()] else {
                throw ExchangeError.invalidValue(
                    "ExternalAudience", "Cannot convert value \"\(value)\" to type \"Microsoft.Exchange.Data.Storage.ExternalAudience\".")
            }
            reply.externalAudience = canonical
        }
        if call.has("StartTime") { reply.startTime = try call.date("StartTime") }
        if call.has("EndTime") { reply.endTime = try call.date("EndTime") }
        if reply.state == "Scheduled", let start = reply.startTime, let end = reply.endTime, end <= start {
            throw ExchangeError.task("The end time must be later than the start time.")
        }
        data.mailboxes[id]!.autoReply = reply
        return []
    }

    // MARK: Distribution groups

    static func distributionGroup(_ call: ExchangeCall, data: TenantData) throws -> DirectoryGroup {
        let identity = try call.required("Identity")
        guard let id = data.distributionGroupId(forIdentity: identity), let group = data.groups[id], !group.isUnified else {
            throw ExchangeError.notFound(identity)
        }
        return group
    }

    static func groupObject(_ group: DirectoryGroup) -> JSONValue {
        [
            "Name": .string(group.id), "Identity": .string(group.id), "DisplayName": .string(group.displayName),
            "PrimarySmtpAddress": .optional(group.mail), "Alias": .string(group.mailNickname),
            "ExternalDirectoryObjectId": .string(group.id), "ManagedBy": .strings(group.owners),
            "RecipientTypeDetails": .string(group.securityEnabled ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup"),
            "IsDirSynced": .bool(group.isSynced), "HiddenFromAddressListsEnabled": .bool(group.hiddenFromAddressLists),
        ]
    }

    static func requireManagerBypass(_ call: ExchangeCall, group: DirectoryGroup) throws {
        if group.isSynced {
            throw ExchangeError.task(
                "The action '\(call.cmdlet)', 'Members', can't be performed on the object '\(group.displayName)' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
                "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException")
        }
        guard try call.bool("BypassSecurityGroupManagerCheck") == true else {
            throw ExchangeError.task(
                "You don't have sufficient permissions. This operation can only be performed by a manager of the group.",
                "Microsoft.Exchange.Management.Tasks.RecipientTaskException")
        }
    }

    static let getDistributionGroup: ExchangeCmdletHandler = { call, data in
        if call.has("Identity") { return [groupObject(try distributionGroup(call, data: data))] }
        return data.orderedGroups.filter(\.isExchangeManaged).map(groupObject)
    }

    static let setDistributionGroup: ExchangeCmdletHandler = { call, data in
        let group = try distributionGroup(call, data: data)
        guard let managedBy = call.parameters["managedby"] else { return [] }
        try requireManagerBypass(call, group: group)
        var owners = group.owners
        func resolve(_ identity: String) throws -> String {
            guard let id = data.recipientId(forIdentity: identity), data.users[id] != nil else { throw ExchangeError.notFound(identity) }
            return id
        }
        if let object = managedBy.objectValue {
            for identity in object["add"]?.arrayValue?.compactMap(\.stringValue) ?? object["Add"]?.arrayValue?.compactMap(\.stringValue)
                ?? []
            {
                let id = try resolve(identity)
                if !owners.contains(id) { owners.append(id) }
            }
            for identity in object["remove"]?.arrayValue?.compactMap(\.stringValue) ?? object["Remove"]?.arrayValue?.compactMap(
                \.stringValue) ?? []
            {
                let id = try resolve(identity)
                owners.removeAll { $0 == id }
            }
        } else {
            owners = try (try call.strings("ManagedBy") ?? []).map(resolve)
        }
        data.groups[group.id]?.owners = owners
        return []
    }

    static let getDistributionGroupMember: ExchangeCmdletHandler = { call, data in
        let group = try distributionGroup(call, data: data)
        return group.members.compactMap { id -> JSONValue? in
            if let user = data.users[id] {
                return [
                    "Name": .string(id), "Identity": .string(id), "DisplayName": .string(user.displayName),
                    "PrimarySmtpAddress": .string(user.mail ?? user.userPrincipalName), "ExternalDirectoryObjectId": .string(id),
                    "RecipientType": .string(data.mailboxes[id] != nil ? "UserMailbox" : "MailUser"),
                ]
            }
            if let nested = data.groups[id] {
                return [
                    "Name": .string(id), "Identity": .string(id), "DisplayName": .string(nested.displayName),
                    "PrimarySmtpAddress": .optional(nested.mail),
                    "ExternalDirectoryObjectId": .string(id), "RecipientType": "MailUniversalDistributionGroup",
                ]
            }
            return nil
        }
    }

    static let addDistributionGroupMember: ExchangeCmdletHandler = { call, data in
        let group = try distributionGroup(call, data: data)
        let member = try call.recipient("Member", in: data)
        try requireManagerBypass(call, group: group)
        guard !group.members.contains(member) else {
            throw ExchangeError.task(
                "The recipient \"\(recipientLabel(member, data: data))\" is already a member of the group \"\(group.displayName)\".",
                "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException")
        }
        data.groups[group.id]?.members.append(member)
        data.licencesChanged(for: [member], now: call.now)
        return []
    }

    static let removeDistributionGroupMember: ExchangeCmdletHandler = { call, data in
        let group = try distributionGroup(call, data: data)
        let member = try call.recipient("Member", in: data)
        try requireManagerBypass(call, group: group)
        guard group.members.contains(member) else {
            throw ExchangeError.task(
                "The recipient \"\(recipientLabel(member, data: data))\" isn't a member of the group \"\(group.displayName)\".",
                "Microsoft.Exchange.Management.Tasks.MemberNotFoundException")
        }
        data.leaveLicensingGroup(
            group.id, member: member, now: call.now, delay: .milliseconds(call.settings.groupLicenceRemovalDelayMilliseconds))
        data.groups[group.id]?.members.removeAll { $0 == member }
        data.licencesChanged(for: [member], now: call.now)
        return []
    }

    // MARK: Folder permissions

    static func calendarOwner(_ call: ExchangeCall, data: TenantData) throws -> String {
        let identity = try call.required("Identity")
        let parts = identity.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, ["\\calendar", "\\kalender", "\\calendrier"].contains(parts[1].lowercased()) else {
            throw ExchangeError.task(
                "The simulator models the Calendar folder only; use '<mailbox>:\\Calendar'.",
                "Microsoft.Exchange.Data.StoreObjects.ObjectNotFoundException")
        }
        guard let id = data.mailboxUserId(forIdentity: String(parts[0])) else { throw ExchangeError.notFound(identity) }
        return id
    }

    static func folderPrincipal(_ call: ExchangeCall, data: TenantData) throws -> String {
        let user = try call.required("User")
        if ["default", "anonymous"].contains(user.lowercased()) { return user.capitalized }
        guard let id = data.recipientId(forIdentity: user) else { throw ExchangeError.notFound(user) }
        return id
    }

    static func folderEntry(_ permission: FolderPermission, owner: String, data: TenantData) -> JSONValue {
        [
            "Identity": .string("\(owner):\\Calendar"), "FolderName": "Calendar",
            "User": .string(data.users[permission.principal]?.displayName ?? permission.principal),
            "AccessRights": .strings(permission.accessRights),
        ]
    }

    static let folderRights: Set<String> = [
        "none", "owner", "publishingeditor", "editor", "publishingauthor", "author", "nonediting author", "noneditingauthor", "reviewer",
        "contributor", "availabilityonly", "limiteddetails",
    ]

    static let getFolderPermission: ExchangeCmdletHandler = { call, data in
        let owner = try calendarOwner(call, data: data)
        var entries = data.mailboxes[owner]!.calendarPermissions
        if call.has("User") {
            let principal = try folderPrincipal(call, data: data)
            entries = entries.filter { $0.principal == principal }
        }
        return entries.map { folderEntry($0, owner: owner, data: data) }
    }

    static let addFolderPermission: ExchangeCmdletHandler = { call, data in
        let owner = try calendarOwner(call, data: data)
        let principal = try folderPrincipal(call, data: data)
        let rights = try call.strings("AccessRights") ?? []
        for right in rights where !folderRights.contains(right.lowercased()) {
            throw ExchangeError.invalidValue(
                "AccessRights",
                "Cannot convert value \"\(right)\" to type \"Microsoft.Exchange.Management.StoreTasks.MailboxFolderAccessRight\".")
        }
        guard !data.mailboxes[owner]!.calendarPermissions.contains(where: { $0.principal == principal }) else {
            throw ExchangeError.task(
                "An existing permission entry was found for user: \(principal).",
                "Microsoft.Exchange.Management.StoreTasks.UserAlreadyExistsInPermissionEntryException")
        }
        data.mailboxes[owner]!.calendarPermissions.append(FolderPermission(principal: principal, accessRights: rights))
        return [folderEntry(FolderPermission(principal: principal, accessRights: rights), owner: owner, data: data)]
    }

    static let setFolderPermission: ExchangeCmdletHandler = { call, data in
        let owner = try calendarOwner(call, data: data)
        let principal = try folderPrincipal(call, data: data)
        let rights = try call.strings("AccessRights") ?? []
        guard let index = data.mailboxes[owner]!.calendarPermissions.firstIndex(where: { $0.principal == principal }) else {
            throw ExchangeError.task(
                "There is no existing permission entry found for user: \(principal).",
                "Microsoft.Exchange.Management.StoreTasks.UserNotFoundInPermissionEntryException")
        }
        data.mailboxes[owner]!.calendarPermissions[index].accessRights = rights
        return []
    }

    static let removeFolderPermission: ExchangeCmdletHandler = { call, data in
        let owner = try calendarOwner(call, data: data)
        let principal = try folderPrincipal(call, data: data)
        guard data.mailboxes[owner]!.calendarPermissions.contains(where: { $0.principal == principal }) else {
            throw ExchangeError.task(
                "There is no existing permission entry found for user: \(principal).",
                "Microsoft.Exchange.Management.StoreTasks.UserNotFoundInPermissionEntryException")
        }
        data.mailboxes[owner]!.calendarPermissions.removeAll { $0.principal == principal }
        return []
    }

    // MARK: Recipients

    static let getRecipient: ExchangeCmdletHandler = { call, data in
        func object(_ id: String) -> JSONValue? {
            if let mailbox = data.mailboxes[id] {
                return [
                    "Name": .string(id), "Identity": .string(id), "DisplayName": .string(mailbox.displayName),
                    "Alias": .string(mailbox.alias),
                    "PrimarySmtpAddress": .string(mailbox.primarySmtpAddress), "ExternalDirectoryObjectId": .string(id),
                    "RecipientType": "UserMailbox",
                    "RecipientTypeDetails": .string(mailbox.reportedType(at: call.now).rawValue),
                ]
            }
            if let group = data.groups[id], group.mailEnabled {
                return [
                    "Name": .string(id), "Identity": .string(id), "DisplayName": .string(group.displayName),
                    "Alias": .string(group.mailNickname),
                    "PrimarySmtpAddress": .optional(group.mail), "ExternalDirectoryObjectId": .string(id),
                    "RecipientType": .string(
                        group.isUnified
                            ? "MailUniversalDistributionGroup"
                            : group.securityEnabled ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup"),
                    "RecipientTypeDetails": .string(
                        group.isUnified
                            ? "GroupMailbox" : group.securityEnabled ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup"),
                ]
            }
            if let user = data.users[id], let mail = user.mail {
                return [
                    "Name": .string(id), "Identity": .string(id), "DisplayName": .string(user.displayName),
                    "Alias": .string(user.mailNickname),
                    "PrimarySmtpAddress": .string(mail), "ExternalDirectoryObjectId": .string(id), "RecipientType": "MailUser",
                    "RecipientTypeDetails": .string(user.isGuest ? "GuestMailUser" : "MailUser"),
                ]
            }
            return nil
        }
        if call.has("Identity") {
            let id = try call.recipient("Identity", in: data)
            guard let found = object(id) else { throw ExchangeError.notFound(try call.required("Identity")) }
            return [found]
        }
        return (data.userOrder + data.groupOrder).compactMap(object)
    }
}
