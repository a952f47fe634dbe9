public import Foundation

/// Everything Turnover read about a leaver before changing anything: the plan is computed from it,
/// the report shows it as "before", and undo will restore from it.
public struct LeaverSnapshot: Codable, Sendable, Equatable {
    public var capturedAt: Date
    public var user: UserInfo
    public var licences: [LicenceInfo]
    public var groups: [GroupInfo]
    public var roles: [RoleInfo]
    public var mailbox: MailboxInfo?
    public var authMethods: [AuthMethodInfo]
    public var devices: [DeviceInfo]
    public var oneDriveURL: String?
    public var oneDriveId: String?
    public var manager: PersonRef?
    public var directReports: [PersonRef]
    /// Direct reports synced from on-premises AD: their manager is mastered there.
    public var syncedDirectReportIds: Set<String>
    public var oauthGrants: [GrantInfo]
    public var appRoleAssignments: [AppRoleInfo]
    /// Devices registered or joined in Entra ID by the leaver (not Intune's managed devices).
    public var registeredDevices: [RegisteredDeviceInfo]
    /// The leaver's rights on other mailboxes, from a live reverse lookup; nil when not looked up.
    public var rightsElsewhere: [MailboxRight]?
    /// Other holders of Global Administrator (to refuse offboarding the last one).
    public var otherGlobalAdmins: [String]
    /// Roles the leaver is eligible for through PIM (not active); nil when they could not be read.
    public var eligibleRoles: [EligibleRole]?
    /// How long SharePoint keeps a deleted user's OneDrive; nil when the setting could not be read.
    public var oneDriveRetentionDays: Int?
    /// The mailbox's regional time zone as Exchange keeps it (a Windows zone name), if read.
    public var mailboxTimeZone: String?
    /// The account's usage location (ISO 3166 country code).
    public var usageLocation: String?
    public var tenantSkus: [SkuInfo]

    public init(
        capturedAt: Date, user: UserInfo, licences: [LicenceInfo] = [], groups: [GroupInfo] = [], roles: [RoleInfo] = [],
        mailbox: MailboxInfo? = nil, authMethods: [AuthMethodInfo] = [], devices: [DeviceInfo] = [], oneDriveURL: String? = nil,
        manager: PersonRef? = nil, directReports: [PersonRef] = [], syncedDirectReportIds: Set<String> = [], oauthGrants: [GrantInfo] = [],
        appRoleAssignments: [AppRoleInfo] = [], registeredDevices: [RegisteredDeviceInfo] = [], rightsElsewhere: [MailboxRight]? = nil,
        otherGlobalAdmins: [String] = [],
        tenantSkus: [SkuInfo] = []
    ) {
        self.registeredDevices = registeredDevices
        self.rightsElsewhere = rightsElsewhere
        self.syncedDirectReportIds = syncedDirectReportIds
        self.capturedAt = capturedAt
        self.user = user
        self.licences = licences
        self.groups = groups
        self.roles = roles
        self.mailbox = mailbox
        self.authMethods = authMethods
        self.devices = devices
        self.oneDriveURL = oneDriveURL
        self.manager = manager
        self.directReports = directReports
        self.oauthGrants = oauthGrants
        self.appRoleAssignments = appRoleAssignments
        self.otherGlobalAdmins = otherGlobalAdmins
        self.tenantSkus = tenantSkus
    }
}

public struct PersonRef: Codable, Sendable, Equatable, Hashable {
    /// Whether Exchange's rendering of a recipient (object id, UPN or address with or without
    /// `smtp:`, alias, or display name; it varies by mailbox age) names this person.
    public func isNamed(by value: String) -> Bool {
        let bare = value.lowercased().hasPrefix("smtp:") ? String(value.dropFirst(5)) : value
        let alias = userPrincipalName.split(separator: "@").first.map(String.init) ?? userPrincipalName
        return [id, userPrincipalName, alias, displayName].contains { $0.caseInsensitiveCompare(bare) == .orderedSame }
    }

    public var id: String
    public var userPrincipalName: String
    public var displayName: String
    public init(id: String, userPrincipalName: String, displayName: String) {
        self.id = id
        self.userPrincipalName = userPrincipalName
        self.displayName = displayName
    }
}

public struct UserInfo: Codable, Sendable, Equatable {
    public var id: String
    public var userPrincipalName: String
    public var displayName: String
    public var accountEnabled: Bool
    public var isGuest: Bool
    public var isSynced: Bool
    public var mail: String?
    public var lastSignIn: Date?
    /// Why Graph could not say when the user last signed in (no Entra ID P1/P2, no AuditLog.Read.All).
    public var lastSignInUnknownReason: String?
    public var lastPasswordChange: Date?
    public var sessionsValidFrom: Date?
    /// The on-premises anchor (`onPremisesImmutableId`) that ties the cloud account to an AD account.
    public var immutableId: String?

    public init(
        id: String, userPrincipalName: String, displayName: String, accountEnabled: Bool, isGuest: Bool = false, isSynced: Bool = false,
        mail: String? = nil, lastSignIn: Date? = nil, lastSignInUnknownReason: String? = nil, lastPasswordChange: Date? = nil,
        sessionsValidFrom: Date? = nil, immutableId: String? = nil
    ) {
        self.immutableId = immutableId
        self.lastSignInUnknownReason = lastSignInUnknownReason
        self.id = id
        self.userPrincipalName = userPrincipalName
        self.displayName = displayName
        self.accountEnabled = accountEnabled
        self.isGuest = isGuest
        self.isSynced = isSynced
        self.mail = mail
        self.lastSignIn = lastSignIn
        self.lastPasswordChange = lastPasswordChange
        self.sessionsValidFrom = sessionsValidFrom
    }
}

public struct SkuInfo: Codable, Sendable, Equatable {
    public var skuId: String
    public var partNumber: String
    /// Whether the SKU includes an Exchange Online mailbox plan.
    public var includesExchange: Bool
    public var consumed: Int
    public var prepaid: Int
    public init(skuId: String, partNumber: String, includesExchange: Bool, consumed: Int, prepaid: Int) {
        self.skuId = skuId
        self.partNumber = partNumber
        self.includesExchange = includesExchange
        self.consumed = consumed
        self.prepaid = prepaid
    }
}

public struct LicenceInfo: Codable, Sendable, Equatable {
    public var skuId: String
    public var partNumber: String
    public var includesExchange: Bool
    /// The group that assigns it; nil when assigned directly.
    public var viaGroupId: String?
    public var viaGroupName: String?
    /// Service plans switched off in a direct assignment; restoring the licence switches them off again.
    public var disabledPlans: [String]?
    public init(
        skuId: String, partNumber: String, includesExchange: Bool, viaGroupId: String? = nil, viaGroupName: String? = nil,
        disabledPlans: [String]? = nil
    ) {
        self.disabledPlans = disabledPlans
        self.skuId = skuId
        self.partNumber = partNumber
        self.includesExchange = includesExchange
        self.viaGroupId = viaGroupId
        self.viaGroupName = viaGroupName
    }
}

public enum GroupKind: String, Codable, Sendable {
    case microsoft365, security, mailEnabledSecurity, distribution
}

public struct GroupInfo: Codable, Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var mail: String?
    public var kind: GroupKind
    public var isDynamic: Bool
    public var isSynced: Bool
    public var isRoleAssignable: Bool
    public var assignsLicences: Bool
    public var isTeam: Bool
    public var isMember: Bool
    public var isOwner: Bool
    /// All owners (ids), to know whether the leaver is the last one.
    public var ownerIds: [String]

    public init(
        id: String, displayName: String, mail: String? = nil, kind: GroupKind, isDynamic: Bool = false, isSynced: Bool = false,
        isRoleAssignable: Bool = false, assignsLicences: Bool = false, isTeam: Bool = false, isMember: Bool, isOwner: Bool,
        ownerIds: [String] = []
    ) {
        self.id = id
        self.displayName = displayName
        self.mail = mail
        self.kind = kind
        self.isDynamic = isDynamic
        self.isSynced = isSynced
        self.isRoleAssignable = isRoleAssignable
        self.assignsLicences = assignsLicences
        self.isTeam = isTeam
        self.isMember = isMember
        self.isOwner = isOwner
        self.ownerIds = ownerIds
    }

    /// Graph can change Microsoft 365 and security groups; mail-enabled ones only through Exchange.
    public var managedInExchange: Bool { kind == .distribution || kind == .mailEnabledSecurity }
}

/// A role the leaver could activate through Privileged Identity Management.
public struct EligibleRole: Codable, Sendable, Equatable {
    public var roleDefinitionId: String
    public var name: String
    /// Nil for an eligibility without end.
    public var endsAt: String?
    public init(roleDefinitionId: String, name: String, endsAt: String?) {
        self.roleDefinitionId = roleDefinitionId
        self.name = name
        self.endsAt = endsAt
    }
}

public struct RoleInfo: Codable, Sendable, Equatable {
    /// The activated `directoryRole` object the leaver is a member of (removal addresses it).
    public var directoryRoleId: String
    public var roleDefinitionId: String
    public var name: String
    public init(directoryRoleId: String, roleDefinitionId: String, name: String) {
        self.directoryRoleId = directoryRoleId
        self.roleDefinitionId = roleDefinitionId
        self.name = name
    }
    public static let globalAdministratorId = "62e90394-69f5-4237-9190-012177145e10"

    /// Names of built-in Entra roles by template id (the same in every tenant), so plans and reports
    /// name the role rather than a GUID without another read.
    public static let builtInNames: [String: String] = [
        globalAdministratorId: "Global Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
        "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
        "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
        "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
        "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
        "fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
        "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
        "17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    ]

    public static func name(ofRoleDefinition id: String) -> String { builtInNames[id.lowercased()] ?? "role \(id)" }
}

public struct MailboxInfo: Codable, Sendable, Equatable {
    public var primarySmtpAddress: String
    public var type: String
    public var sizeBytes: Int64
    public var archive: Bool
    public var litigationHold: Bool
    public var inPlaceHolds: [String]
    public var forwardingSmtpAddress: String?
    public var forwardingAddress: String?
    public var deliverToMailboxAndForward: Bool
    public var hiddenFromGAL: Bool
    public var fullAccessHolders: [String]
    public var forwardingRules: [InboxRuleInfo]
    public var autoReplyEnabled: Bool
    public var autoReplyInternalMessage: String?
    public var autoReplyExternalMessage: String?
    /// Every inbox rule the owner can see (Exchange's hidden system rules are not among them).
    public var inboxRules: [InboxRuleInfo]
    public var mobileDevices: [MobileDeviceInfo]
    /// Meetings with attendees the leaver organises that are not cancelled.
    public var organizedMeetings: [MeetingInfo]
    /// Who may send as the mailbox, and on its behalf, as Exchange names them.
    public var sendAsHolders: [String]
    public var sendOnBehalfHolders: [String]

    public init(
        primarySmtpAddress: String, type: String, sizeBytes: Int64, archive: Bool = false, litigationHold: Bool = false,
        inPlaceHolds: [String] = [],
        forwardingSmtpAddress: String? = nil, forwardingAddress: String? = nil, deliverToMailboxAndForward: Bool = false,
        hiddenFromGAL: Bool = false,
        fullAccessHolders: [String] = [], forwardingRules: [InboxRuleInfo] = [], autoReplyEnabled: Bool = false,
        autoReplyInternalMessage: String? = nil, autoReplyExternalMessage: String? = nil, inboxRules: [InboxRuleInfo] = [],
        mobileDevices: [MobileDeviceInfo] = [], organizedMeetings: [MeetingInfo] = [], sendAsHolders: [String] = [],
        sendOnBehalfHolders: [String] = []
    ) {
        self.sendAsHolders = sendAsHolders
        self.sendOnBehalfHolders = sendOnBehalfHolders
        self.organizedMeetings = organizedMeetings
        self.inboxRules = inboxRules
        self.mobileDevices = mobileDevices
        self.autoReplyExternalMessage = autoReplyExternalMessage
        self.primarySmtpAddress = primarySmtpAddress
        self.type = type
        self.sizeBytes = sizeBytes
        self.archive = archive
        self.litigationHold = litigationHold
        self.inPlaceHolds = inPlaceHolds
        self.forwardingSmtpAddress = forwardingSmtpAddress
        self.forwardingAddress = forwardingAddress
        self.deliverToMailboxAndForward = deliverToMailboxAndForward
        self.hiddenFromGAL = hiddenFromGAL
        self.fullAccessHolders = fullAccessHolders
        self.forwardingRules = forwardingRules
        self.autoReplyEnabled = autoReplyEnabled
        self.autoReplyInternalMessage = autoReplyInternalMessage
    }

    public var isShared: Bool { type == "SharedMailbox" }
    public var isUserMailbox: Bool { type == "UserMailbox" }
    public var hasForwarding: Bool { forwardingSmtpAddress != nil || forwardingAddress != nil }
    /// A shared mailbox needs a licence above 50 GB, or with a hold or an archive.
    public var needsLicenceWhenShared: Bool { sizeBytes > 50 * 1024 * 1024 * 1024 || litigationHold || !inPlaceHolds.isEmpty || archive }
    public var sizeGB: Double { Double(sizeBytes) / 1_073_741_824 }
}

public struct InboxRuleInfo: Codable, Sendable, Equatable {
    public var name: String
    /// How Exchange addresses the rule (`mailbox\\ruleId`).
    public var identity: String?
    public var targets: [String]
    public var external: Bool
    public init(name: String, identity: String? = nil, targets: [String], external: Bool) {
        self.identity = identity
        self.name = name
        self.targets = targets
        self.external = external
    }
}

public struct AuthMethodInfo: Codable, Sendable, Equatable {
    public var id: String
    /// The Graph `@odata.type`.
    public var type: String
    public var label: String
    /// A phone that is the default MFA method can only go once the others are gone.
    public var isPhone: Bool
    public var deletable: Bool
    public init(id: String, type: String, label: String, isPhone: Bool, deletable: Bool) {
        self.id = id
        self.type = type
        self.label = label
        self.isPhone = isPhone
        self.deletable = deletable
    }
}

public struct DeviceInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var operatingSystem: String?
    public var ownership: String?
    /// Intune's `managementState` (`managed`, `retirePending`, …).
    public var managementState: String?
    public init(id: String, name: String, operatingSystem: String?, ownership: String?, managementState: String? = nil) {
        self.managementState = managementState
        self.id = id
        self.name = name
        self.operatingSystem = operatingSystem
        self.ownership = ownership
    }
}

/// A delegated consent the leaver gave an app (`consentType: Principal`).
public struct GrantInfo: Codable, Sendable, Equatable {
    public var id: String
    /// The app's service principal.
    public var clientId: String
    /// The API's service principal (Microsoft Graph, for example).
    public var resourceId: String?
    public var scope: String
    public init(id: String, clientId: String, resourceId: String? = nil, scope: String) {
        self.id = id
        self.clientId = clientId
        self.resourceId = resourceId
        self.scope = scope
    }
}

/// An app role the leaver is assigned in an enterprise app.
public struct AppRoleInfo: Codable, Sendable, Equatable {
    public var id: String
    public var appRoleId: String
    public var resourceId: String
    public var resourceName: String
    public init(id: String, appRoleId: String, resourceId: String, resourceName: String) {
        self.id = id
        self.appRoleId = appRoleId
        self.resourceId = resourceId
        self.resourceName = resourceName
    }
}

public struct RegisteredDeviceInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var enabled: Bool
    public init(id: String, name: String, enabled: Bool) {
        self.id = id
        self.name = name
        self.enabled = enabled
    }
}

public struct MeetingInfo: Codable, Sendable, Equatable {
    public var id: String
    public var subject: String
    public var start: Date?
    public var isRecurringSeries: Bool
    public var attendeeCount: Int
    public init(id: String, subject: String, start: Date?, isRecurringSeries: Bool, attendeeCount: Int) {
        self.id = id
        self.subject = subject
        self.start = start
        self.isRecurringSeries = isRecurringSeries
        self.attendeeCount = attendeeCount
    }
}

/// A group found by name for the policy (its id and display name).
public struct GroupRef: Codable, Sendable, Equatable {
    public var id: String
    public var displayName: String
    public init(id: String, displayName: String) {
        self.id = id
        self.displayName = displayName
    }
}

/// A right the leaver holds on someone else's mailbox.
public struct MailboxRight: Codable, Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case fullAccess, sendAs, sendOnBehalf, calendar }
    /// The other mailbox's address.
    public var mailbox: String
    public var kind: Kind
    /// For calendar: the folder rights held (Reviewer, Editor, …).
    public var calendarRights: [String]?
    public init(mailbox: String, kind: Kind, calendarRights: [String]? = nil) {
        self.mailbox = mailbox
        self.kind = kind
        self.calendarRights = calendarRights
    }

    /// The right's name as a technician says it.
    public var kindLabel: String {
        switch kind {
        case .fullAccess: "Full Access"
        case .sendAs: "Send As"
        case .sendOnBehalf: "Send on Behalf"
        case .calendar: "calendar rights"
        }
    }

    public var description: String {
        switch kind {
        case .fullAccess: "Full Access to \(mailbox)"
        case .sendAs: "Send As \(mailbox)"
        case .sendOnBehalf: "Send on Behalf of \(mailbox)"
        case .calendar: "\((calendarRights ?? []).joined(separator: ", ")) on \(mailbox)'s calendar"
        }
    }
}

/// An ActiveSync partnership of the mailbox.
public struct MobileDeviceInfo: Codable, Sendable, Equatable {
    public var identity: String
    public var name: String
    /// An account-only wipe was requested for it already.
    public var accountWiped: Bool?
    public init(identity: String, name: String, accountWiped: Bool? = nil) {
        self.identity = identity
        self.name = name
        self.accountWiped = accountWiped
    }
}
