public import Foundation

/// Graph models for the properties Turnover reads (names as in Graph's schema).
public struct GraphUser: Codable, Sendable, Equatable {
    public var id: String
    public var userPrincipalName: String?
    public var displayName: String?
    public var accountEnabled: Bool?
    public var mail: String?
    public var userType: String?
    public var jobTitle: String?
    public var department: String?
    public var usageLocation: String?
    public var assignedLicenses: [AssignedLicense]?
    public var licenseAssignmentStates: [LicenseAssignmentState]?
    public var onPremisesSyncEnabled: Bool?
    public var onPremisesImmutableId: String?
    public var proxyAddresses: [String]?
    public var createdDateTime: Date?
    public var lastPasswordChangeDateTime: Date?
    public var signInSessionsValidFromDateTime: Date?
    public var signInActivity: SignInActivity?
    public var manager: DirectoryObject?
    public var employeeLeaveDateTime: Date?

    public var isSynced: Bool { onPremisesSyncEnabled == true }
    public var isGuest: Bool { userType == "Guest" || (userPrincipalName?.contains("#EXT#") ?? false) }
}

public struct SignInActivity: Codable, Sendable, Equatable {
    public var lastSignInDateTime: Date?
}

public struct AssignedLicense: Codable, Sendable, Equatable, Hashable {
    public var skuId: String
    public var disabledPlans: [String]?
    public init(skuId: String, disabledPlans: [String]? = []) {
        self.skuId = skuId
        self.disabledPlans = disabledPlans
    }
}

public struct LicenseAssignmentState: Codable, Sendable, Equatable {
    public var skuId: String?
    /// The group that assigns the licence; nil for a direct assignment.
    public var assignedByGroup: String?
    public var state: String?
    public var error: String?
    public var disabledPlans: [String]?
}

public struct SubscribedSku: Codable, Sendable, Equatable {
    public var skuId: String
    public var skuPartNumber: String
    public var consumedUnits: Int?
    public var prepaidUnits: PrepaidUnits?
    public var servicePlans: [ServicePlan]?

    public struct PrepaidUnits: Codable, Sendable, Equatable {
        public var enabled: Int?
        public var suspended: Int?
        public var warning: Int?
    }

    public struct ServicePlan: Codable, Sendable, Equatable {
        public var servicePlanId: String
        public var servicePlanName: String
    }
}

/// A directory object as collections such as `memberOf` and `ownedObjects` return it: a group, role,
/// application, device or user, told apart by `@odata.type`.
public struct DirectoryObject: Codable, Sendable, Equatable {
    public var odataType: String?
    public var id: String
    public var displayName: String?
    public var userPrincipalName: String?
    public var mail: String?
    public var groupTypes: [String]?
    public var mailEnabled: Bool?
    public var securityEnabled: Bool?
    public var onPremisesSyncEnabled: Bool?
    public var membershipRule: String?
    public var isAssignableToRole: Bool?
    public var assignedLicenses: [AssignedLicense]?
    public var resourceProvisioningOptions: [String]?
    /// On a `directoryRole`: the role's template id, which equals its built-in role definition id.
    public var roleTemplateId: String?
    /// On a user.
    public var accountEnabled: Bool?
    /// A group's owners, present when the request expanded them.
    public var owners: [DirectoryObject]?

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type"
        case id, displayName, userPrincipalName, mail, groupTypes, mailEnabled, securityEnabled, onPremisesSyncEnabled, membershipRule,
            isAssignableToRole, assignedLicenses, resourceProvisioningOptions, roleTemplateId, accountEnabled, owners
    }

    public var isGroup: Bool { odataType == "#microsoft.graph.group" }
    public var isUser: Bool { odataType == "#microsoft.graph.user" }
    public var isDirectoryRole: Bool { odataType == "#microsoft.graph.directoryRole" }
}

public struct AuthenticationMethod: Codable, Sendable, Equatable {
    public var odataType: String
    public var id: String
    public var phoneType: String?
    public var phoneNumber: String?
    public var displayName: String?

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type"
        case id, phoneType, phoneNumber, displayName
    }

    public init(odataType: String, id: String, phoneType: String? = nil, phoneNumber: String? = nil, displayName: String? = nil) {
        self.odataType = odataType
        self.id = id
        self.phoneType = phoneType
        self.phoneNumber = phoneNumber
        self.displayName = displayName
    }

    /// The path segment under `/authentication/` that deletes this kind; nil when it cannot be deleted (password).
    public var collection: String? {
        switch odataType {
        case "#microsoft.graph.phoneAuthenticationMethod": "phoneMethods"
        case "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorMethods"
        case "#microsoft.graph.fido2AuthenticationMethod": "fido2Methods"
        case "#microsoft.graph.softwareOathAuthenticationMethod": "softwareOathMethods"
        case "#microsoft.graph.emailAuthenticationMethod": "emailMethods"
        case "#microsoft.graph.temporaryAccessPassAuthenticationMethod": "temporaryAccessPassMethods"
        case "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusinessMethods"
        default: nil
        }
    }
}

public struct RoleAssignment: Codable, Sendable, Equatable {
    public var id: String
    public var roleDefinitionId: String
    public var principalId: String
    public var directoryScopeId: String?
    /// Present when the request expanded the principal.
    public var principal: DirectoryObject?
}

/// A PIM eligibility (`unifiedRoleEligibilityScheduleInstance`): a role its principal may activate.
public struct RoleEligibility: Codable, Sendable, Equatable {
    public var id: String
    public var roleDefinitionId: String
    public var principalId: String
    public var directoryScopeId: String?
    /// Nil for an eligibility without end.
    public var endDateTime: String?
}

/// Names of Entra's built-in directory roles by template id (the role definition id of a built-in
/// role), for what an eligibility or assignment names only by id.
public enum DirectoryRoleTemplates {
    static let names: [String: String] = [
        "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
        "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
        "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
        "fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
        "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
        "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
        "17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
    ]

    public static func name(of roleDefinitionId: String) -> String? { names[roleDefinitionId.lowercased()] }
}

public struct AppRoleAssignment: Codable, Sendable, Equatable {
    public var id: String
    public var appRoleId: String?
    public var resourceId: String?
    public var resourceDisplayName: String?
}

public struct OAuth2PermissionGrant: Codable, Sendable, Equatable {
    public var id: String
    public var clientId: String
    public var consentType: String?
    public var principalId: String?
    public var resourceId: String?
    public var scope: String?
}

public struct ManagedDevice: Codable, Sendable, Equatable {
    public var id: String
    public var deviceName: String?
    public var operatingSystem: String?
    public var managedDeviceOwnerType: String?
    public var userPrincipalName: String?
    /// `managed`, `retirePending`, `wipePending`, …
    public var managementState: String?
}

public struct Drive: Codable, Sendable, Equatable {
    public var id: String
    public var driveType: String?
    public var webUrl: String?
}

/// `Get-MailboxAutoReplyConfiguration` output.
public struct AutoReplyConfiguration: Codable, Sendable, Equatable {
    public var AutoReplyState: String
    public var InternalMessage: String?
    public var ExternalMessage: String?

    public var isOn: Bool { AutoReplyState != "Disabled" }
}

/// `Get-Mailbox` output, the properties Turnover uses.
public struct ExchangeMailbox: Codable, Sendable, Equatable {
    public var ExternalDirectoryObjectId: String?
    public var UserPrincipalName: String?
    public var PrimarySmtpAddress: String
    public var RecipientTypeDetails: String
    public var HiddenFromAddressListsEnabled: Bool?
    public var ForwardingAddress: String?
    public var ForwardingSmtpAddress: String?
    public var DeliverToMailboxAndForward: Bool?
    public var LitigationHoldEnabled: Bool?
    public var InPlaceHolds: [String]?
    public var ArchiveStatus: String?
    public var GrantSendOnBehalfTo: [String]?
    public var IsDirSynced: Bool?

    public var isShared: Bool { RecipientTypeDetails == "SharedMailbox" }
}

/// One `Get-MailboxPermission` entry.
public struct MailboxPermission: Sendable, Equatable {
    /// The trustee as Exchange names it (UPN, name or `NT AUTHORITY\SELF`).
    public var user: String
    public var accessRights: [String]
    public var isInherited: Bool
    public var deny: Bool

    init(_ json: JSONValue) {
        user = json["User"]?.string ?? ""
        accessRights = json["AccessRights"]?.array?.compactMap(\.string) ?? json["AccessRights"]?.string.map { [$0] } ?? []
        isInherited = json["IsInherited"]?.bool ?? false
        deny = json["Deny"]?.bool ?? false
    }

    public var grantsFullAccess: Bool { !deny && accessRights.contains("FullAccess") }
    public var isSystemEntry: Bool { user.uppercased().hasPrefix("NT AUTHORITY") || user.uppercased().hasPrefix("S-1-5") }
}

/// One `Get-InboxRule` entry, with the addresses it forwards or redirects to.
public struct InboxRule: Sendable, Equatable {
    public var name: String
    public var identity: String?
    public var enabled: Bool
    /// Recipients of ForwardTo, RedirectTo and ForwardAsAttachmentTo, as SMTP addresses.
    public var forwardingTargets: [String]

    init(_ json: JSONValue) {
        name = json["Name"]?.string ?? "rule"
        identity = json["Identity"]?.string ?? json["RuleIdentity"]?.string
        enabled = json["Enabled"]?.bool ?? true
        forwardingTargets = ["ForwardTo", "RedirectTo", "ForwardAsAttachmentTo"].flatMap { Self.addresses(json[$0]) }
    }

    /// Exchange renders recipients as `"Name" [SMTP:address]` or as bare addresses.
    static func addresses(_ value: JSONValue?) -> [String] {
        let texts: [String] = value?.array?.compactMap(\.string) ?? value?.string.map { [$0] } ?? []
        return texts.compactMap { text in
            if let range = text.range(of: "SMTP:", options: .caseInsensitive) {
                return String(text[range.upperBound...].prefix { $0 != "]" && $0 != " " && $0 != "\"" })
            }
            return text.contains("@") ? text.trimmingCharacters(in: CharacterSet(charactersIn: "\" []")) : nil
        }
    }
}
