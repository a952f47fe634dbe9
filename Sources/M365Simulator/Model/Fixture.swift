import Foundation
import Yams

/// A tenant described in YAML: the simulator's fixture format.
///
/// Objects refer to each other by a short `key` (`manager: ben`, `members: [ben, chloe]`); the
/// loader turns keys into stable GUIDs derived from the tenant id, so a fixture yields the same
/// ids on every load. Times are absolute (ISO 8601) or relative to load time (`-2d`, `+3h`, `-30m`).
public struct TenantFixture: Codable, Sendable {
    public var name: String
    public var tenantId: String?
    /// The `.onmicrosoft.com` domain; derived from the name when absent.
    public var initialDomain: String?
    public var domains: [String]?
    public var country: String?
    public var hybrid: Bool?
    public var apps: [App] = []
    public var skus: [Sku] = []
    public var enterpriseApps: [EnterpriseApp]?
    public var users: [User] = []
    public var groups: [Group]?
    /// Directory role display name → keys of users or role-assignable groups.
    public var roles: [String: [String]]?
    /// Directory role display name → keys of users eligible for it through PIM (not active).
    public var eligibleRoles: [String: [String]]?
    public var breakGlass: [String]?
    /// SharePoint tenant settings (`GET /admin/sharepoint/settings`).
    public var sharepoint: SharePointSettings?

    public struct SharePointSettings: Codable, Sendable {
        /// How long a deleted user's OneDrive is kept before SharePoint deletes it (30 unless set).
        public var deletedUserPersonalSiteRetentionPeriodInDays: Int?
    }

    private enum CodingKeys: String, CodingKey {
        case name, tenantId, initialDomain, domains, country, hybrid, apps, skus, enterpriseApps, users, groups, roles, eligibleRoles,
            breakGlass, sharepoint
    }

    public init(name: String) { self.name = name }

    /// Only `name` is required: a tenant without apps, SKUs or users is a valid (empty) fixture.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        tenantId = try container.decodeIfPresent(String.self, forKey: .tenantId)
        initialDomain = try container.decodeIfPresent(String.self, forKey: .initialDomain)
        domains = try container.decodeIfPresent([String].self, forKey: .domains)
        country = try container.decodeIfPresent(String.self, forKey: .country)
        hybrid = try container.decodeIfPresent(Bool.self, forKey: .hybrid)
        apps = try container.decodeIfPresent([App].self, forKey: .apps) ?? []
        skus = try container.decodeIfPresent([Sku].self, forKey: .skus) ?? []
        enterpriseApps = try container.decodeIfPresent([EnterpriseApp].self, forKey: .enterpriseApps)
        users = try container.decodeIfPresent([User].self, forKey: .users) ?? []
        groups = try container.decodeIfPresent([Group].self, forKey: .groups)
        roles = try container.decodeIfPresent([String: [String]].self, forKey: .roles)
        eligibleRoles = try container.decodeIfPresent([String: [String]].self, forKey: .eligibleRoles)
        breakGlass = try container.decodeIfPresent([String].self, forKey: .breakGlass)
        sharepoint = try container.decodeIfPresent(SharePointSettings.self, forKey: .sharepoint)
    }

    public struct App: Codable, Sendable {
        public var name: String
        public var clientId: String?
        public var clientSecret: String?
        /// Generated when absent unless `certificate: false`.
        public var certificate: CertificateSpec?
        public var graph: [String]?
        public var exchange: [String]?
        public var sharePoint: [String]?
        public var roles: [String]?
    }

    public enum CertificateSpec: Codable, Sendable {
        case none
        case generate
        case pem(certificate: String, privateKey: String)

        private enum CodingKeys: String, CodingKey { case certificate, privateKey }

        public init(from decoder: any Decoder) throws {
            if let single = try? decoder.singleValueContainer(), let flag = try? single.decode(Bool.self) {
                self = flag ? .generate : .none
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self = .pem(
                certificate: try container.decode(String.self, forKey: .certificate),
                privateKey: try container.decode(String.self, forKey: .privateKey))
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .none:
                var container = encoder.singleValueContainer()
                try container.encode(false)
            case .generate:
                var container = encoder.singleValueContainer()
                try container.encode(true)
            case .pem(let certificate, let privateKey):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(certificate, forKey: .certificate)
                try container.encode(privateKey, forKey: .privateKey)
            }
        }
    }

    public struct Sku: Codable, Sendable {
        /// A catalog part number (`SPE_E3`) or, with `skuId` and `plans`, any SKU.
        public var part: String
        public var units: Int
        public var skuId: String?
        public var displayName: String?
        public var plans: [String]?
    }

    public struct EnterpriseApp: Codable, Sendable {
        public var name: String
        public var appId: String?
        public var roles: [String]?
    }

    public struct User: Codable, Sendable {
        public var key: String
        public var name: String
        public var upn: String?
        public var note: String?
        public var title: String?
        public var department: String?
        public var office: String?
        public var mobile: String?
        public var usageLocation: String?
        public var enabled: Bool?
        /// For a guest: the address in their home tenant; the UPN becomes `..#EXT#@initialDomain`.
        public var guest: String?
        public var synced: Synced?
        /// A cloud user whose sync link was broken: the on-premises anchor remains without sync.
        public var immutableId: String?
        public var manager: String?
        public var licenses: [String]?
        public var authMethods: [AuthMethod]?
        public var sessions: Int?
        public var lastSignIn: String?
        public var created: String?
        public var mailbox: MailboxSpec?
        public var oneDrive: OneDriveSpec?
        public var devices: [Device]?
        public var appRoles: [AppRoleSpec]?
        public var consents: [ConsentSpec]?
        public var ownsApps: [String]?
        /// When set, the user is in the recycle bin, deleted this long ago (`-12d`).
        public var deleted: String?
    }

    public struct Synced: Codable, Sendable {
        public var samAccountName: String?
        public var passwordWriteback: Bool?
        /// The on-premises account state, which the next sync writes back.
        public var enabledOnPremises: Bool?
    }

    public struct AuthMethod: Codable, Sendable {
        /// phone, microsoftAuthenticator, fido2, softwareOath, email, temporaryAccessPass, windowsHelloForBusiness
        public var type: String
        public var name: String?
        public var phone: String?
        public var phoneType: String?
        public var email: String?
        public var isDefault: Bool?
    }

    public struct MailboxSpec: Codable, Sendable {
        public var type: String?
        public var sizeGB: Double?
        public var items: Int?
        public var archiveGB: Double?
        public var litigationHold: Bool?
        public var holds: [String]?
        public var forwardTo: String?
        public var forwardSmtp: String?
        public var keepCopy: Bool?
        public var hidden: Bool?
        public var sendOnBehalf: [String]?
        /// The regional time zone, a Windows zone name ("Tokyo Standard Time"); UTC when absent.
        public var timeZone: String?
        public var fullAccess: [Grant]?
        public var sendAs: [String]?
        public var rules: [Rule]?
        public var meetings: [Meeting]?
        public var calendarPermissions: [CalendarGrant]?
        public var autoReply: AutoReply?
        public var mobileDevices: [MobileDeviceSpec]?
        public var alias: String?
    }

    public struct Grant: Codable, Sendable {
        public var user: String
        public var autoMapping: Bool?

        private enum CodingKeys: String, CodingKey { case user, autoMapping }

        public init(user: String, autoMapping: Bool? = nil) {
            self.user = user
            self.autoMapping = autoMapping
        }

        public init(from decoder: any Decoder) throws {
            if let single = try? decoder.singleValueContainer(), let key = try? single.decode(String.self) {
                user = key
                autoMapping = nil
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            user = try container.decode(String.self, forKey: .user)
            autoMapping = try container.decodeIfPresent(Bool.self, forKey: .autoMapping)
        }
    }

    public struct Rule: Codable, Sendable {
        public var name: String
        public var forwardTo: [String]?
        public var redirectTo: [String]?
        public var forwardAsAttachmentTo: [String]?
        public var moveTo: String?
        public var delete: Bool?
        public var from: [String]?
        public var subject: [String]?
        public var enabled: Bool?
        public var hidden: Bool?
    }

    public struct Meeting: Codable, Sendable {
        public var subject: String
        /// Start relative to load time, e.g. `+3d`.
        public var start: String
        public var hours: Double?
        public var attendees: [String]?
        public var recurring: Bool?
        /// Organised by another user (key or address); the fixture user only attends.
        public var organizer: String?
    }

    public struct CalendarGrant: Codable, Sendable {
        public var user: String
        public var rights: [String]
    }

    public struct AutoReply: Codable, Sendable {
        public var state: String
        public var internalMessage: String?
        public var externalMessage: String?
        public var externalAudience: String?
    }

    public struct MobileDeviceSpec: Codable, Sendable {
        public var model: String
        public var os: String
        public var type: String?
    }

    public struct OneDriveSpec: Codable, Sendable {
        public var usedGB: Double?
        public var sharedWith: [String]?
    }

    public struct Device: Codable, Sendable {
        public var name: String
        public var os: String
        public var osVersion: String?
        public var intune: Bool?
        public var compliant: Bool?
        public var ownership: String?
        public var model: String?
        public var manufacturer: String?
        public var join: String?
    }

    public struct AppRoleSpec: Codable, Sendable {
        public var app: String
        public var role: String?
    }

    public struct ConsentSpec: Codable, Sendable {
        public var app: String
        public var scope: String
    }

    public struct Group: Codable, Sendable {
        public var key: String
        public var name: String
        /// m365, security, mail-security or distribution.
        public var type: String
        public var note: String?
        public var description: String?
        public var dynamic: String?
        public var synced: Bool?
        public var roleAssignable: Bool?
        public var team: Bool?
        public var licenses: [String]?
        public var members: [String]?
        public var owners: [String]?
        public var mail: String?
        public var visibility: String?
    }

    /// Decodes a fixture from YAML text.
    public static func decode(yaml: String) throws -> TenantFixture {
        do {
            return try YAMLDecoder().decode(TenantFixture.self, from: yaml)
        } catch let error as DecodingError {
            throw FixtureError(message: FixtureError.describe(error))
        } catch let error as YamlError {
            throw FixtureError(message: "YAML syntax: \(error)")
        }
    }

    public func yaml() throws -> String {
        try YAMLEncoder().encode(self)
    }
}

/// A fixture that cannot become a tenant, with the place in the file that is wrong.
public struct FixtureError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required key is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Parses fixture times: ISO 8601, or an offset from load time such as `-2d`, `+3h`, `-45m`.
enum FixtureTime {
    static func parse(_ text: String, now: Date) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let first = trimmed.first, first == "+" || first == "-", let unit = trimmed.last {
            let sign: Double = first == "-" ? -1 : 1
            guard let amount = Double(trimmed.dropFirst().dropLast()) else { throw FixtureError(message: "invalid time '\(text)'") }
            let seconds: Double
            switch unit {
            case "d": seconds = amount * 86_400
            case "h": seconds = amount * 3_600
            case "m": seconds = amount * 60
            case "s": seconds = amount
            default: throw FixtureError(message: "invalid time unit in '\(text)' (use d, h, m or s)")
            }
            return now.addingTimeInterval(sign * seconds)
        }
        if let date = GraphDate.parse(trimmed) { return date }
        throw FixtureError(message: "invalid time '\(text)'")
    }
}
