public import Foundation

/// The changes and reads steps make in a tenant, as typed operations. The live implementation
/// (TurnoverEngine) goes over MicrosoftGraph; unit tests override only the endpoints they expect,
/// and every other endpoint throws.
public struct TenantOperations: Sendable {
    public var user: @Sendable (_ userId: String) async throws -> LiveUser = { _ in throw Unimplemented("user") }
    public var setAccountEnabled: @Sendable (_ userId: String, _ enabled: Bool) async throws -> Void = { _, _ in
        throw Unimplemented("setAccountEnabled")
    }
    /// The password is sent once and never logged or stored.
    public var resetPassword: @Sendable (_ userId: String, _ password: String) async throws -> Void = { _, _ in
        throw Unimplemented("resetPassword")
    }
    public var revokeSessions: @Sendable (_ userId: String) async throws -> Void = { _ in throw Unimplemented("revokeSessions") }
    public var authenticationMethodIds: @Sendable (_ userId: String) async throws -> [String] = { _ in
        throw Unimplemented("authenticationMethodIds")
    }
    public var deleteAuthenticationMethod: @Sendable (_ userId: String, _ method: AuthMethodInfo) async throws -> MethodRemoval = { _, _ in
        throw Unimplemented("deleteAuthenticationMethod")
    }
    public var mailbox: @Sendable (_ userPrincipalName: String) async throws -> LiveMailbox? = { _ in throw Unimplemented("mailbox") }
    public var convertMailbox: @Sendable (_ userPrincipalName: String, _ toShared: Bool) async throws -> Void = { _, _ in
        throw Unimplemented("convertMailbox")
    }
    public var setForwarding: @Sendable (_ userPrincipalName: String, _ forwarding: Forwarding?) async throws -> Void = { _, _ in
        throw Unimplemented("setForwarding")
    }
    /// Sets every forwarding property to the values recorded before (a restore).
    public var restoreForwarding: @Sendable (_ userPrincipalName: String, _ state: ForwardingState) async throws -> Void = { _, _ in
        throw Unimplemented("restoreForwarding")
    }
    public var setHiddenFromAddressLists: @Sendable (_ userPrincipalName: String, _ hidden: Bool) async throws -> Void = { _, _ in
        throw Unimplemented("setHiddenFromAddressLists")
    }
    public var fullAccessHolders: @Sendable (_ mailbox: String) async throws -> [String] = { _ in throw Unimplemented("fullAccessHolders") }
    public var addFullAccess: @Sendable (_ mailbox: String, _ delegate: String, _ autoMapping: Bool) async throws -> Void = { _, _, _ in
        throw Unimplemented("addFullAccess")
    }
    public var removeFullAccess: @Sendable (_ mailbox: String, _ delegate: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeFullAccess")
    }
    public var autoReply: @Sendable (_ mailbox: String) async throws -> LiveAutoReply? = { _ in throw Unimplemented("autoReply") }
    public var setAutoReply: @Sendable (_ mailbox: String, _ internal: String, _ external: String) async throws -> Void = { _, _, _ in
        throw Unimplemented("setAutoReply")
    }
    /// Turns the auto-reply off and puts back the texts it had (Exchange keeps texts while off).
    public var disableAutoReply: @Sendable (_ mailbox: String, _ internal: String, _ external: String) async throws -> Void = { _, _, _ in
        throw Unimplemented("disableAutoReply")
    }
    public var groupOwnerIds: @Sendable (_ groupId: String) async throws -> [String] = { _ in throw Unimplemented("groupOwnerIds") }
    public var addGroupOwner: @Sendable (_ groupId: String, _ userId: String) async throws -> Void = { _, _ in
        throw Unimplemented("addGroupOwner")
    }
    public var removeGroupOwner: @Sendable (_ groupId: String, _ userId: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeGroupOwner")
    }
    public var memberGroupIds: @Sendable (_ userId: String) async throws -> [String] = { _ in throw Unimplemented("memberGroupIds") }
    public var removeGroupMember: @Sendable (_ groupId: String, _ userId: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeGroupMember")
    }
    public var addGroupMember: @Sendable (_ groupId: String, _ userId: String) async throws -> Void = { _, _ in
        throw Unimplemented("addGroupMember")
    }
    /// Distribution lists and mail-enabled security groups, which only Exchange can change.
    public var removeDistributionGroupMember: @Sendable (_ group: String, _ memberUserPrincipalName: String) async throws -> RemovalResult =
        { _, _ in throw Unimplemented("removeDistributionGroupMember") }
    public var addDistributionGroupMember: @Sendable (_ group: String, _ memberUserPrincipalName: String) async throws -> Void = { _, _ in
        throw Unimplemented("addDistributionGroupMember")
    }
    /// Removes direct licences in one `assignLicense`; answers with what is still assigned directly.
    public var removeLicences: @Sendable (_ userId: String, _ skuIds: [String]) async throws -> LicenceRemoval = { _, _ in
        throw Unimplemented("removeLicences")
    }
    /// Assigns licences directly with the service plans they had disabled, in one `assignLicense`;
    /// answers with every SKU now assigned directly.
    public var addLicences: @Sendable (_ userId: String, _ licences: [LicenceInfo]) async throws -> [String] = { _, _ in
        throw Unimplemented("addLicences")
    }

    // Access: directory roles, consents, app roles, registered devices, the manager link.
    public var removeDirectoryRoleMember: @Sendable (_ directoryRoleId: String, _ userId: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeDirectoryRoleMember")
    }
    public var addDirectoryRoleMember: @Sendable (_ directoryRoleId: String, _ userId: String) async throws -> Void = { _, _ in
        throw Unimplemented("addDirectoryRoleMember")
    }
    public var oauthGrants: @Sendable (_ userId: String) async throws -> [GrantInfo] = { _ in throw Unimplemented("oauthGrants") }
    public var deleteOAuthGrant: @Sendable (_ grantId: String) async throws -> RemovalResult = { _ in
        throw Unimplemented("deleteOAuthGrant")
    }
    /// Consents again for the user, as the grant recorded was.
    public var createOAuthGrant: @Sendable (_ userId: String, _ grant: GrantInfo) async throws -> Void = { _, _ in
        throw Unimplemented("createOAuthGrant")
    }
    public var appRoleAssignments: @Sendable (_ userId: String) async throws -> [AppRoleInfo] = { _ in
        throw Unimplemented("appRoleAssignments")
    }
    public var removeAppRoleAssignment: @Sendable (_ userId: String, _ assignmentId: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeAppRoleAssignment")
    }
    public var addAppRoleAssignment: @Sendable (_ userId: String, _ assignment: AppRoleInfo) async throws -> Void = { _, _ in
        throw Unimplemented("addAppRoleAssignment")
    }
    public var deviceEnabled: @Sendable (_ deviceId: String) async throws -> Bool? = { _ in throw Unimplemented("deviceEnabled") }
    public var setDeviceEnabled: @Sendable (_ deviceId: String, _ enabled: Bool) async throws -> Void = { _, _ in
        throw Unimplemented("setDeviceEnabled")
    }
    public var managedDeviceState: @Sendable (_ deviceId: String) async throws -> String? = { _ in throw Unimplemented("managedDeviceState")
    }
    public var wipeManagedDevice: @Sendable (_ deviceId: String) async throws -> Void = { _ in throw Unimplemented("wipeManagedDevice") }
    public var retireManagedDevice: @Sendable (_ deviceId: String) async throws -> Void = { _ in throw Unimplemented("retireManagedDevice")
    }
    public var managerId: @Sendable (_ userId: String) async throws -> String? = { _ in throw Unimplemented("managerId") }
    public var setManager: @Sendable (_ userId: String, _ managerId: String) async throws -> Void = { _, _ in
        throw Unimplemented("setManager")
    }
    public var removeManager: @Sendable (_ userId: String) async throws -> RemovalResult = { _ in throw Unimplemented("removeManager") }

    // Mailbox clean-up.
    public var inboxRuleIdentities: @Sendable (_ mailbox: String) async throws -> [String] = { _ in
        throw Unimplemented("inboxRuleIdentities")
    }
    public var removeInboxRule: @Sendable (_ mailbox: String, _ identity: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeInboxRule")
    }
    public var mobileDeviceIdentities: @Sendable (_ mailbox: String) async throws -> [String] = { _ in
        throw Unimplemented("mobileDeviceIdentities")
    }
    public var wipeMobileDeviceAccount: @Sendable (_ identity: String) async throws -> Void = { _ in
        throw Unimplemented("wipeMobileDeviceAccount")
    }
    /// The partnerships that report an account-only wipe requested or done.
    public var accountWipedMobileDevices: @Sendable (_ mailbox: String) async throws -> [String] = { _ in
        throw Unimplemented("accountWipedMobileDevices")
    }
    public var removeMobileDevice: @Sendable (_ identity: String) async throws -> RemovalResult = { _ in
        throw Unimplemented("removeMobileDevice")
    }
    /// The ids of the meetings with attendees the user organises that are not cancelled.
    public var organizedMeetingIds: @Sendable (_ mailbox: String) async throws -> [String] = { _ in
        throw Unimplemented("organizedMeetingIds")
    }
    public var cancelOrganizedMeetings: @Sendable (_ mailbox: String, _ windowDays: Int) async throws -> Void = { _, _ in
        throw Unimplemented("cancelOrganizedMeetings")
    }
    /// OneDrive (SharePoint REST, which needs a certificate credential).
    public var siteAdmins: @Sendable (_ siteURL: String) async throws -> [String] = { _ in throw Unimplemented("siteAdmins") }
    public var addSiteAdmin: @Sendable (_ siteURL: String, _ userPrincipalName: String) async throws -> Void = { _, _ in
        throw Unimplemented("addSiteAdmin")
    }
    public var removeSiteAdmin: @Sendable (_ siteURL: String, _ userPrincipalName: String) async throws -> Void = { _, _ in
        throw Unimplemented("removeSiteAdmin")
    }
    public var setImmutableId: @Sendable (_ userId: String, _ immutableId: String?) async throws -> Void = { _, _ in
        throw Unimplemented("setImmutableId")
    }
    /// The display name and `employeeLeaveDateTime` (reading the date needs User-LifeCycleInfo permissions).
    public var leaverProfile: @Sendable (_ userId: String) async throws -> LeaverProfile = { _ in throw Unimplemented("leaverProfile") }
    public var setLeaverProfile: @Sendable (_ userId: String, _ profile: LeaverProfile) async throws -> Void = { _, _ in
        throw Unimplemented("setLeaverProfile")
    }
    /// Whether the account exists (not deleted).
    public var userExists: @Sendable (_ userId: String) async throws -> Bool = { _ in throw Unimplemented("userExists") }
    public var deleteUser: @Sendable (_ userId: String) async throws -> RemovalResult = { _ in throw Unimplemented("deleteUser") }
    public var restoreUser: @Sendable (_ userId: String) async throws -> Void = { _ in throw Unimplemented("restoreUser") }
    /// The leaver's rights on other mailboxes (`holder` is the leaver).
    public var holdsMailboxRight: @Sendable (_ right: MailboxRight, _ holder: PersonRef) async throws -> Bool = { _, _ in
        throw Unimplemented("holdsMailboxRight")
    }
    public var removeMailboxRight: @Sendable (_ right: MailboxRight, _ holder: PersonRef) async throws -> Void = { _, _ in
        throw Unimplemented("removeMailboxRight")
    }
    public var addMailboxRight: @Sendable (_ right: MailboxRight, _ holder: PersonRef) async throws -> Void = { _, _ in
        throw Unimplemented("addMailboxRight")
    }
    /// People the OneDrive's root is shared with (the owner excluded).
    public var driveShares: @Sendable (_ driveId: String) async throws -> [DriveShareInfo] = { _ in throw Unimplemented("driveShares") }
    public var removeDriveShare: @Sendable (_ driveId: String, _ shareId: String) async throws -> RemovalResult = { _, _ in
        throw Unimplemented("removeDriveShare")
    }
    public var addDriveShare: @Sendable (_ driveId: String, _ share: DriveShareInfo) async throws -> Void = { _, _ in
        throw Unimplemented("addDriveShare")
    }
    public var setLitigationHold: @Sendable (_ mailbox: String, _ enabled: Bool, _ durationDays: Int?) async throws -> Void = { _, _, _ in
        throw Unimplemented("setLitigationHold")
    }

    /// Every endpoint unimplemented; the live implementation and tests set what they provide.
    public init() {}

    /// Every endpoint throws: a test states exactly what it expects to be called.
    public static var unimplemented: TenantOperations { TenantOperations() }

    /// An endpoint a test did not expect was called.
    public struct Unimplemented: Error, CustomStringConvertible {
        public var endpoint: String
        public init(_ endpoint: String) { self.endpoint = endpoint }
        public var description: String { "TenantOperations.\(endpoint) is not implemented here" }
    }
}

/// A removal that found nothing to remove still leaves the desired state.
public enum RemovalResult: Sendable, Equatable {
    case removed
    case alreadyAbsent
}

/// What deleting an authentication method did.
public enum MethodRemoval: Sendable, Equatable {
    case removed
    case alreadyAbsent
    /// Graph refused: it is the user's default MFA method and other methods remain.
    case refusedAsDefault
}

/// The user as a step re-reads them.
public struct LiveUser: Sendable, Equatable {
    public var accountEnabled: Bool?
    public var lastPasswordChange: Date?
    public var sessionsValidFrom: Date?
    /// Every licence the user has (direct or through a group).
    public var assignedSkuIds: [String]
    public var immutableId: String?
    /// Licences assigned through a group, by SKU: the group that assigns each.
    public var groupAssignedSkus: [String: [String]]
    /// Licences assigned directly (Graph's `licenseAssignmentStates` without `assignedByGroup`), when
    /// known; a licence can be direct and inherited at once.
    public var directSkuIds: [String]?

    public init(
        accountEnabled: Bool? = nil, lastPasswordChange: Date? = nil, sessionsValidFrom: Date? = nil, assignedSkuIds: [String] = [],
        groupAssignedSkus: [String: [String]] = [:], immutableId: String? = nil, directSkuIds: [String]? = nil
    ) {
        self.directSkuIds = directSkuIds
        self.immutableId = immutableId
        self.accountEnabled = accountEnabled
        self.lastPasswordChange = lastPasswordChange
        self.sessionsValidFrom = sessionsValidFrom
        self.assignedSkuIds = assignedSkuIds
        self.groupAssignedSkus = groupAssignedSkus
    }
}

/// A person the OneDrive is shared with, and how.
public struct DriveShareInfo: Codable, Sendable, Equatable {
    public var id: String
    public var email: String
    public var roles: [String]
    public init(id: String, email: String, roles: [String]) {
        self.id = id
        self.email = email
        self.roles = roles
    }
}

/// What marks an account as a leaver's in the directory.
public struct LeaverProfile: Codable, Sendable, Equatable {
    public var displayName: String
    public var employeeLeaveDateTime: Date?
    public init(displayName: String, employeeLeaveDateTime: Date?) {
        self.displayName = displayName
        self.employeeLeaveDateTime = employeeLeaveDateTime
    }
}

/// The mailbox as a step re-reads it (`Get-Mailbox`).
public struct LiveMailbox: Sendable, Equatable {
    public var type: String
    public var forwardingAddress: String?
    public var forwardingSmtpAddress: String?
    public var deliverToMailboxAndForward: Bool
    public var hiddenFromAddressLists: Bool
    public var litigationHold: Bool

    public init(
        type: String, forwardingAddress: String? = nil, forwardingSmtpAddress: String? = nil, deliverToMailboxAndForward: Bool = false,
        hiddenFromAddressLists: Bool = false, litigationHold: Bool = false
    ) {
        self.litigationHold = litigationHold
        self.type = type
        self.forwardingAddress = forwardingAddress
        self.forwardingSmtpAddress = forwardingSmtpAddress
        self.deliverToMailboxAndForward = deliverToMailboxAndForward
        self.hiddenFromAddressLists = hiddenFromAddressLists
    }

    public var isShared: Bool { type == "SharedMailbox" }
    public var hasForwarding: Bool { forwardingAddress != nil || forwardingSmtpAddress != nil }
}

/// Forwarding to a recipient in the tenant, with or without a copy kept in the mailbox.
public struct Forwarding: Sendable, Equatable, Codable {
    public var to: String
    public var keepCopy: Bool
    public init(to: String, keepCopy: Bool) {
        self.to = to
        self.keepCopy = keepCopy
    }
}

public struct LiveAutoReply: Sendable, Equatable {
    public var enabled: Bool
    public var internalMessage: String?
    public init(enabled: Bool, internalMessage: String?) {
        self.enabled = enabled
        self.internalMessage = internalMessage
    }
}

/// What `assignLicense` left: the SKUs still assigned directly, and whether Microsoft said the
/// licences were already gone (an earlier attempt whose answer was lost).
public struct LicenceRemoval: Sendable, Equatable {
    public var remainingSkuIds: [String]
    public var wereAlreadyAbsent: Bool
    public init(remainingSkuIds: [String], wereAlreadyAbsent: Bool = false) {
        self.remainingSkuIds = remainingSkuIds
        self.wereAlreadyAbsent = wereAlreadyAbsent
    }
}
