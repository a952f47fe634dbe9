public import Foundation

/// The changes and reads steps make in a tenant, as typed operations. The live implementation
/// (TurnoverEngine) goes over MicrosoftGraph; unit tests override only the endpoints they expect,
/// and every other endpoint throws.
public struct TenantOperations: Sendable {
    public var user: @Sendable (_ userId: String) async throws -> LiveUser
    public var setAccountEnabled: @Sendable (_ userId: String, _ enabled: Bool) async throws -> Void
    /// The password is sent once and never logged or stored.
    public var resetPassword: @Sendable (_ userId: String, _ password: String) async throws -> Void
    public var revokeSessions: @Sendable (_ userId: String) async throws -> Void
    public var authenticationMethodIds: @Sendable (_ userId: String) async throws -> [String]
    public var deleteAuthenticationMethod: @Sendable (_ userId: String, _ method: AuthMethodInfo) async throws -> MethodRemoval

    public var mailbox: @Sendable (_ userPrincipalName: String) async throws -> LiveMailbox?
    public var convertMailbox: @Sendable (_ userPrincipalName: String, _ toShared: Bool) async throws -> Void
    public var setForwarding: @Sendable (_ userPrincipalName: String, _ forwarding: Forwarding?) async throws -> Void
    /// Sets every forwarding property to the values recorded before (a restore).
    public var restoreForwarding: @Sendable (_ userPrincipalName: String, _ state: ForwardingState) async throws -> Void
    public var setHiddenFromAddressLists: @Sendable (_ userPrincipalName: String, _ hidden: Bool) async throws -> Void
    public var fullAccessHolders: @Sendable (_ mailbox: String) async throws -> [String]
    public var addFullAccess: @Sendable (_ mailbox: String, _ delegate: String, _ autoMapping: Bool) async throws -> Void
    public var removeFullAccess: @Sendable (_ mailbox: String, _ delegate: String) async throws -> RemovalResult
    public var autoReply: @Sendable (_ mailbox: String) async throws -> LiveAutoReply?
    public var setAutoReply: @Sendable (_ mailbox: String, _ internal: String, _ external: String) async throws -> Void
    /// Turns the auto-reply off and puts back the texts it had (Exchange keeps texts while off).
    public var disableAutoReply: @Sendable (_ mailbox: String, _ internal: String, _ external: String) async throws -> Void

    public var groupOwnerIds: @Sendable (_ groupId: String) async throws -> [String]
    public var addGroupOwner: @Sendable (_ groupId: String, _ userId: String) async throws -> Void
    public var removeGroupOwner: @Sendable (_ groupId: String, _ userId: String) async throws -> RemovalResult
    public var memberGroupIds: @Sendable (_ userId: String) async throws -> [String]
    public var removeGroupMember: @Sendable (_ groupId: String, _ userId: String) async throws -> RemovalResult
    public var addGroupMember: @Sendable (_ groupId: String, _ userId: String) async throws -> Void
    /// Distribution lists and mail-enabled security groups, which only Exchange can change.
    public var removeDistributionGroupMember: @Sendable (_ group: String, _ memberUserPrincipalName: String) async throws -> RemovalResult
    public var addDistributionGroupMember: @Sendable (_ group: String, _ memberUserPrincipalName: String) async throws -> Void
    /// Removes direct licences in one `assignLicense`; answers with what is still assigned directly.
    public var removeLicences: @Sendable (_ userId: String, _ skuIds: [String]) async throws -> LicenceRemoval
    /// Assigns licences directly with the service plans they had disabled, in one `assignLicense`;
    /// answers with every SKU now assigned directly.
    public var addLicences: @Sendable (_ userId: String, _ licences: [LicenceInfo]) async throws -> [String]

    public init(
        user: @escaping @Sendable (String) async throws -> LiveUser = { _ in throw Unimplemented("user") },
        setAccountEnabled: @escaping @Sendable (String, Bool) async throws -> Void = { _, _ in
            throw Unimplemented("setAccountEnabled")
        },
        resetPassword: @escaping @Sendable (String, String) async throws -> Void = { _, _ in throw Unimplemented("resetPassword") },
        revokeSessions: @escaping @Sendable (String) async throws -> Void = { _ in throw Unimplemented("revokeSessions") },
        authenticationMethodIds: @escaping @Sendable (String) async throws -> [String] = { _ in
            throw Unimplemented("authenticationMethodIds")
        },
        deleteAuthenticationMethod: @escaping @Sendable (String, AuthMethodInfo) async throws -> MethodRemoval = { _, _ in
            throw Unimplemented("deleteAuthenticationMethod")
        },
        mailbox: @escaping @Sendable (String) async throws -> LiveMailbox? = { _ in throw Unimplemented("mailbox") },
        convertMailbox: @escaping @Sendable (String, Bool) async throws -> Void = { _, _ in throw Unimplemented("convertMailbox") },
        setForwarding: @escaping @Sendable (String, Forwarding?) async throws -> Void = { _, _ in
            throw Unimplemented("setForwarding")
        },
        restoreForwarding: @escaping @Sendable (String, ForwardingState) async throws -> Void = { _, _ in
            throw Unimplemented("restoreForwarding")
        },
        setHiddenFromAddressLists: @escaping @Sendable (String, Bool) async throws -> Void = { _, _ in
            throw Unimplemented("setHiddenFromAddressLists")
        },
        fullAccessHolders: @escaping @Sendable (String) async throws -> [String] = { _ in throw Unimplemented("fullAccessHolders") },
        addFullAccess: @escaping @Sendable (String, String, Bool) async throws -> Void = { _, _, _ in
            throw Unimplemented("addFullAccess")
        },
        removeFullAccess: @escaping @Sendable (String, String) async throws -> RemovalResult = { _, _ in
            throw Unimplemented("removeFullAccess")
        },
        autoReply: @escaping @Sendable (String) async throws -> LiveAutoReply? = { _ in throw Unimplemented("autoReply") },
        setAutoReply: @escaping @Sendable (String, String, String) async throws -> Void = { _, _, _ in
            throw Unimplemented("setAutoReply")
        },
        disableAutoReply: @escaping @Sendable (String, String, String) async throws -> Void = { _, _, _ in
            throw Unimplemented("disableAutoReply")
        },
        groupOwnerIds: @escaping @Sendable (String) async throws -> [String] = { _ in throw Unimplemented("groupOwnerIds") },
        addGroupOwner: @escaping @Sendable (String, String) async throws -> Void = { _, _ in throw Unimplemented("addGroupOwner") },
        removeGroupOwner: @escaping @Sendable (String, String) async throws -> RemovalResult = { _, _ in
            throw Unimplemented("removeGroupOwner")
        },
        memberGroupIds: @escaping @Sendable (String) async throws -> [String] = { _ in throw Unimplemented("memberGroupIds") },
        removeGroupMember: @escaping @Sendable (String, String) async throws -> RemovalResult = { _, _ in
            throw Unimplemented("removeGroupMember")
        },
        addGroupMember: @escaping @Sendable (String, String) async throws -> Void = { _, _ in throw Unimplemented("addGroupMember") },
        removeDistributionGroupMember: @escaping @Sendable (String, String) async throws -> RemovalResult = { _, _ in
            throw Unimplemented("removeDistributionGroupMember")
        },
        addDistributionGroupMember: @escaping @Sendable (String, String) async throws -> Void = { _, _ in
            throw Unimplemented("addDistributionGroupMember")
        },
        removeLicences: @escaping @Sendable (String, [String]) async throws -> LicenceRemoval = { _, _ in
            throw Unimplemented("removeLicences")
        },
        addLicences: @escaping @Sendable (String, [LicenceInfo]) async throws -> [String] = { _, _ in throw Unimplemented("addLicences") }
    ) {
        self.user = user
        self.setAccountEnabled = setAccountEnabled
        self.resetPassword = resetPassword
        self.revokeSessions = revokeSessions
        self.authenticationMethodIds = authenticationMethodIds
        self.deleteAuthenticationMethod = deleteAuthenticationMethod
        self.mailbox = mailbox
        self.convertMailbox = convertMailbox
        self.setForwarding = setForwarding
        self.setHiddenFromAddressLists = setHiddenFromAddressLists
        self.fullAccessHolders = fullAccessHolders
        self.addFullAccess = addFullAccess
        self.autoReply = autoReply
        self.setAutoReply = setAutoReply
        self.groupOwnerIds = groupOwnerIds
        self.addGroupOwner = addGroupOwner
        self.removeGroupOwner = removeGroupOwner
        self.memberGroupIds = memberGroupIds
        self.removeGroupMember = removeGroupMember
        self.removeDistributionGroupMember = removeDistributionGroupMember
        self.removeLicences = removeLicences
        self.restoreForwarding = restoreForwarding
        self.removeFullAccess = removeFullAccess
        self.disableAutoReply = disableAutoReply
        self.addGroupMember = addGroupMember
        self.addDistributionGroupMember = addDistributionGroupMember
        self.addLicences = addLicences
    }

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
    /// Licences assigned through a group, by SKU: the group that assigns each.
    public var groupAssignedSkus: [String: [String]]

    public init(
        accountEnabled: Bool? = nil, lastPasswordChange: Date? = nil, sessionsValidFrom: Date? = nil, assignedSkuIds: [String] = [],
        groupAssignedSkus: [String: [String]] = [:]
    ) {
        self.accountEnabled = accountEnabled
        self.lastPasswordChange = lastPasswordChange
        self.sessionsValidFrom = sessionsValidFrom
        self.assignedSkuIds = assignedSkuIds
        self.groupAssignedSkus = groupAssignedSkus
    }
}

/// The mailbox as a step re-reads it (`Get-Mailbox`).
public struct LiveMailbox: Sendable, Equatable {
    public var type: String
    public var forwardingAddress: String?
    public var forwardingSmtpAddress: String?
    public var deliverToMailboxAndForward: Bool
    public var hiddenFromAddressLists: Bool

    public init(
        type: String, forwardingAddress: String? = nil, forwardingSmtpAddress: String? = nil, deliverToMailboxAndForward: Bool = false,
        hiddenFromAddressLists: Bool = false
    ) {
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
