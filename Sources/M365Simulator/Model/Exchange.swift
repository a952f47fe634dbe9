import Foundation

enum MailboxType: String, Codable, Sendable {
    case user = "UserMailbox"
    case shared = "SharedMailbox"
    case room = "RoomMailbox"
    case equipment = "EquipmentMailbox"

    /// The value `Set-Mailbox -Type` takes for this type.
    var typeParameter: String {
        switch self {
        case .user: "Regular"
        case .shared: "Shared"
        case .room: "Room"
        case .equipment: "Equipment"
        }
    }

    init?(typeParameter: String) {
        switch typeParameter.lowercased() {
        case "regular": self = .user
        case "shared": self = .shared
        case "room": self = .room
        case "equipment": self = .equipment
        default: return nil
        }
    }
}

struct MailboxPermissionGrant: Codable, Sendable, Equatable {
    var trusteeId: String
    var autoMapping: Bool
}

struct InboxRule: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var enabled: Bool
    var priority: Int
    var forwardTo: [String] = []
    var redirectTo: [String] = []
    var forwardAsAttachmentTo: [String] = []
    var moveToFolder: String?
    var deleteMessage: Bool = false
    var fromContains: [String] = []
    var subjectContains: [String] = []
    /// System rules such as "Junk E-Mail Rule" appear only with `-IncludeHidden`.
    var hidden: Bool = false

    var forwardsMail: Bool { !forwardTo.isEmpty || !redirectTo.isEmpty || !forwardAsAttachmentTo.isEmpty }
}

struct CalendarAttendee: Codable, Sendable, Equatable {
    var address: String
    var name: String
    var type: String = "required"
}

struct CalendarEvent: Codable, Sendable, Equatable {
    var id: String
    var subject: String
    var start: Date
    var end: Date
    var isOrganizer: Bool
    var organizerAddress: String
    var organizerName: String
    var attendees: [CalendarAttendee]
    var isRecurringSeries: Bool = false
    var isCancelled: Bool = false
    var cancellationComment: String?
    var location: String?
}

struct FolderPermission: Codable, Sendable, Equatable {
    /// A user id, or "Default" / "Anonymous".
    var principal: String
    var accessRights: [String]
}

struct AutoReplyConfiguration: Codable, Sendable, Equatable {
    /// Exchange's AutoReplyState: Disabled, Enabled, Scheduled.
    var state: String = "Disabled"
    var internalMessage: String = ""
    var externalMessage: String = ""
    /// Exchange's ExternalAudience: None, Known, All.
    var externalAudience: String = "All"
    var startTime: Date?
    var endTime: Date?
}

struct MobileDevice: Codable, Sendable, Equatable {
    var id: String
    var deviceId: String
    var deviceType: String
    var deviceModel: String
    var deviceOS: String
    var friendlyName: String
    var clientType: String = "EAS"
    var firstSyncTime: Date
    var lastSyncTime: Date
    var accessState: String = "Allowed"
    var accountOnlyWipeRequestTime: Date?
    var wipeRequestTime: Date?
}

/// Why a mailbox's data is in danger; set once and kept, so a test can see that it ever happened.
struct DataAtRisk: Codable, Sendable, Equatable {
    var since: Date
    var reason: String
}

struct Mailbox: Codable, Sendable, Equatable {
    /// The owning directory object (ExternalDirectoryObjectId).
    var userId: String
    var exchangeGuid: String
    var alias: String
    var displayName: String
    var primarySmtpAddress: String
    var type: MailboxType
    /// A `Set-Mailbox -Type` that Exchange has accepted but `Get-Mailbox` does not show yet.
    var pendingConversion: PendingConversion?
    /// For a synced user, the type on-premises: a cloud conversion is put back to it at the next
    /// directory sync, because in hybrid the mailbox type is mastered on-premises.
    var onPremisesType: MailboxType?
    var totalItemSizeBytes: Int64
    var itemCount: Int
    var archiveEnabled: Bool = false
    var archiveSizeBytes: Int64 = 0
    var litigationHoldEnabled: Bool = false
    var litigationHoldDuration: String = "Unlimited"
    var litigationHoldDate: Date?
    var litigationHoldOwner: String?
    var inPlaceHolds: [String] = []
    var retentionHoldEnabled: Bool = false
    var forwardingAddress: String?
    var forwardingSmtpAddress: String?
    var deliverToMailboxAndForward: Bool = false
    var hiddenFromAddressListsEnabled: Bool = false
    var grantSendOnBehalfTo: [String] = []
    var fullAccess: [MailboxPermissionGrant] = []
    var sendAs: [String] = []
    var inboxRules: [InboxRule] = []
    var events: [CalendarEvent] = []
    var calendarPermissions: [FolderPermission] = []
    var autoReply = AutoReplyConfiguration()
    var mobileDevices: [MobileDevice] = []
    var timeZone: String = "UTC"
    /// The owner was deleted while a hold applied: Exchange keeps the mailbox as an inactive
    /// mailbox, without a licence, searchable, for as long as the hold lasts.
    var isInactive: Bool = false
    var dataAtRisk: DataAtRisk?
    /// A shared mailbox above 50 GB, or with a hold or archive, that has no licence.
    var licenceRequiredSince: DataAtRisk?
    /// When the last Exchange licence went while the mailbox was still a user mailbox.
    var unlicensedSince: Date?

    struct PendingConversion: Codable, Sendable, Equatable {
        var to: MailboxType
        var requestedAt: Date
        var effectiveAt: Date
    }

    /// The type Exchange reports at `now`: a conversion shows only once it has completed.
    func reportedType(at now: Date) -> MailboxType {
        if let pending = pendingConversion, pending.effectiveAt <= now { return pending.to }
        return type
    }

    /// Applies a conversion whose time has come.
    mutating func settle(at now: Date) {
        if let pending = pendingConversion, pending.effectiveAt <= now {
            type = pending.to
            pendingConversion = nil
        }
    }

    static let sharedMailboxFreeQuotaBytes: Int64 = 50 * 1024 * 1024 * 1024
}

/// A user's OneDrive: the drive Graph shows and the site collection SharePoint manages.
struct OneDriveSite: Codable, Sendable, Equatable {
    var ownerId: String
    var driveId: String
    var siteId: String
    var webId: String
    var siteUrl: String
    var quotaUsedBytes: Int64
    var quotaTotalBytes: Int64
    var siteUsers: [SiteUser]
    var sharedWith: [DriveSharingGrant] = []
    var nextSiteUserId: Int

    struct SiteUser: Codable, Sendable, Equatable {
        var id: Int
        var loginName: String
        var email: String
        var title: String
        var isSiteAdmin: Bool
    }

    struct DriveSharingGrant: Codable, Sendable, Equatable {
        var id: String
        var email: String
        var roles: [String]
    }
}
