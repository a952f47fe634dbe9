import Foundation

/// A licence assignment as Graph's `assignedLicense`.
struct AssignedLicense: Codable, Sendable, Equatable {
    var skuId: String
    var disabledPlans: [String] = []
}

/// The on-premises source of a synced user: what the next directory sync writes back.
struct OnPremisesSource: Codable, Sendable, Equatable {
    var accountEnabled: Bool
    var displayName: String
    var department: String?
    var jobTitle: String?
    var samAccountName: String
    var domainName: String
    var distinguishedName: String
    var securityIdentifier: String
    /// Whether password writeback lets a cloud password reset reach AD.
    var passwordWriteback: Bool
}

struct AuthenticationMethod: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case password, phone, microsoftAuthenticator, fido2, softwareOath, email, temporaryAccessPass, windowsHelloForBusiness

        /// The collection segment under `/users/{id}/authentication/`.
        var collection: String? {
            switch self {
            case .password: nil
            case .phone: "phoneMethods"
            case .microsoftAuthenticator: "microsoftAuthenticatorMethods"
            case .fido2: "fido2Methods"
            case .softwareOath: "softwareOathMethods"
            case .email: "emailMethods"
            case .temporaryAccessPass: "temporaryAccessPassMethods"
            case .windowsHelloForBusiness: "windowsHelloForBusinessMethods"
            }
        }

        var odataType: String {
            switch self {
            case .password: "#microsoft.graph.passwordAuthenticationMethod"
            case .phone: "#microsoft.graph.phoneAuthenticationMethod"
            case .microsoftAuthenticator: "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
            case .fido2: "#microsoft.graph.fido2AuthenticationMethod"
            case .softwareOath: "#microsoft.graph.softwareOathAuthenticationMethod"
            case .email: "#microsoft.graph.emailAuthenticationMethod"
            case .temporaryAccessPass: "#microsoft.graph.temporaryAccessPassAuthenticationMethod"
            case .windowsHelloForBusiness: "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod"
            }
        }

        static func from(collection: String) -> Kind? {
            allCases.first { $0.collection?.lowercased() == collection.lowercased() }
        }
    }

    /// Microsoft's fixed ids for phone methods and the password method.
    static let passwordMethodId = "28c10230-6103-485e-b985-444c60001490"
    static let mobilePhoneId = "3179e48a-750b-4051-897c-87b9720928f7"
    static let alternateMobilePhoneId = "b6332ec1-7057-4abe-9331-3d72feddfe41"
    static let officePhoneId = "e37fc753-ff3b-4958-9484-eaa9425c82bc"

    var id: String
    var kind: Kind
    var displayName: String?
    var phoneNumber: String?
    var phoneType: String?
    var emailAddress: String?
    var createdDateTime: Date?
    /// The user's default sign-in method cannot be deleted while other methods remain.
    var isDefault: Bool = false
}

/// A refresh-token session; revoked when `signInSessionsValidFrom` moves past `issuedAt`.
struct SignInSession: Codable, Sendable, Equatable {
    var issuedAt: Date
    var client: String
}

struct DirectoryUser: Codable, Sendable, Equatable {
    var id: String
    var displayName: String
    var givenName: String?
    var surname: String?
    var userPrincipalName: String
    var mail: String?
    var mailNickname: String
    var otherMails: [String] = []
    var proxyAddresses: [String] = []
    var accountEnabled: Bool
    var userType: String = "Member"
    var jobTitle: String?
    var department: String?
    var officeLocation: String?
    var mobilePhone: String?
    var businessPhones: [String] = []
    var companyName: String?
    var employeeId: String?
    var usageLocation: String?
    var preferredLanguage: String?
    var createdDateTime: Date
    var creationType: String?
    var externalUserState: String?
    var onPremisesSyncEnabled: Bool?
    var onPremisesImmutableId: String?
    /// When the user leaves (or left); writing it needs User-LifeCycleInfo.ReadWrite.All.
    var employeeLeaveDateTime: Date?
    var onPremisesLastSyncDateTime: Date?
    var onPremises: OnPremisesSource?
    var directLicenses: [AssignedLicense] = []
    var managerId: String?
    var lastPasswordChangeDateTime: Date
    var passwordPolicies: String?
    /// Set when a password reset happened; the simulator stores no password, only the fact.
    var forceChangePasswordNextSignIn: Bool = false
    var signInSessionsValidFromDateTime: Date
    var sessions: [SignInSession] = []
    var authenticationMethods: [AuthenticationMethod] = []
    var lastSignInDateTime: Date?
    /// What this fixture user exists to exercise (simulator metadata, not a Graph property).
    var fixtureNote: String?
    /// When the object last changed, for delta queries.
    var lastModified: Date?

    var isSynced: Bool { onPremisesSyncEnabled == true }
    var isGuest: Bool { userType == "Guest" }

    func activeSessions() -> [SignInSession] {
        sessions.filter { $0.issuedAt >= signInSessionsValidFromDateTime }
    }
}

struct DirectoryGroup: Codable, Sendable, Equatable {
    var id: String
    var displayName: String
    var description: String?
    var mailNickname: String
    var mail: String?
    var groupTypes: [String] = []
    var mailEnabled: Bool
    var securityEnabled: Bool
    var membershipRule: String?
    var membershipRuleProcessingState: String?
    var onPremisesSyncEnabled: Bool?
    var isAssignableToRole: Bool?
    var visibility: String?
    var resourceProvisioningOptions: [String] = []
    var proxyAddresses: [String] = []
    var createdDateTime: Date
    var assignedLicenses: [AssignedLicense] = []
    var members: [String] = []
    var owners: [String] = []
    var hiddenFromAddressLists: Bool = false
    var fixtureNote: String?

    var isUnified: Bool { groupTypes.contains("Unified") }
    var isDynamic: Bool { groupTypes.contains("DynamicMembership") }
    var isSynced: Bool { onPremisesSyncEnabled == true }
    /// Distribution lists and mail-enabled security groups: read-only through Graph.
    var isExchangeManaged: Bool { mailEnabled && !isUnified }

    var kindDescription: String {
        if isUnified { return isDynamic ? "Microsoft 365 (dynamic)" : "Microsoft 365" }
        if mailEnabled { return securityEnabled ? "mail-enabled security" : "distribution" }
        return isDynamic ? "security (dynamic)" : "security"
    }
}

struct Organization: Codable, Sendable, Equatable {
    var id: String
    var displayName: String
    var verifiedDomains: [String]
    var initialDomain: String
    var createdDateTime: Date
    var countryLetterCode: String
    var onPremisesSyncEnabled: Bool
}

struct ServicePlan: Codable, Sendable, Equatable {
    var servicePlanId: String
    var servicePlanName: String
    var appliesTo: String = "User"
}

struct SubscribedSku: Codable, Sendable, Equatable {
    var skuId: String
    var skuPartNumber: String
    var displayName: String
    var enabledUnits: Int
    var suspendedUnits: Int = 0
    var warningUnits: Int = 0
    var servicePlans: [ServicePlan]

    var includesExchange: Bool {
        servicePlans.contains { $0.servicePlanName.hasPrefix("EXCHANGE_S_") && $0.servicePlanName != "EXCHANGE_S_FOUNDATION" }
    }
}

struct RoleDefinition: Codable, Sendable, Equatable {
    var id: String  // the role template id
    var displayName: String
    var isPrivileged: Bool
    /// The object id of the activated `directoryRole` (legacy API).
    var directoryRoleId: String
}

struct RoleAssignment: Codable, Sendable, Equatable {
    var id: String
    var principalId: String
    var roleDefinitionId: String
    var directoryScopeId: String = "/"
}

/// An enterprise application (service principal) in the tenant.
struct ServicePrincipal: Codable, Sendable, Equatable {
    var id: String
    var appId: String
    var displayName: String
    var appRoles: [AppRoleDefinition] = []
}

struct AppRoleDefinition: Codable, Sendable, Equatable {
    var id: String
    var value: String
    var displayName: String
}

struct AppRoleAssignment: Codable, Sendable, Equatable {
    var id: String
    var appRoleId: String
    var principalId: String
    var principalDisplayName: String
    var principalType: String
    var resourceId: String
    var resourceDisplayName: String
    var createdDateTime: Date
}

struct OAuth2Grant: Codable, Sendable, Equatable {
    var id: String
    var clientId: String
    var consentType: String
    var principalId: String?
    var resourceId: String
    var scope: String
}

struct EntraDevice: Codable, Sendable, Equatable {
    var id: String
    var deviceId: String
    var displayName: String
    var operatingSystem: String
    var operatingSystemVersion: String
    var accountEnabled: Bool
    var trustType: String
    var isManaged: Bool
    var isCompliant: Bool
    var registeredOwners: [String]
    var registeredUsers: [String]
    var approximateLastSignInDateTime: Date?
}

struct ManagedDevice: Codable, Sendable, Equatable {
    var id: String
    var deviceName: String
    var userId: String
    var userPrincipalName: String
    var operatingSystem: String
    var osVersion: String
    var complianceState: String
    var managedDeviceOwnerType: String
    var managementState: String
    var enrolledDateTime: Date
    var lastSyncDateTime: Date
    var azureADDeviceId: String
    var serialNumber: String
    var model: String
    var manufacturer: String
    var wipeRequested: WipeRequest?
    var retireRequested: Date?

    struct WipeRequest: Codable, Sendable, Equatable {
        var requestedAt: Date
        var keepEnrollmentData: Bool
        var keepUserData: Bool
    }
}

struct SignInRecord: Codable, Sendable, Equatable {
    var id: String
    var createdDateTime: Date
    var userId: String
    var userPrincipalName: String
    var userDisplayName: String
    var appDisplayName: String
    var clientAppUsed: String
    var ipAddress: String
    var errorCode: Int
}

/// A deleted directory object kept for 30 days.
struct DeletedUser: Codable, Sendable, Equatable {
    var user: DirectoryUser
    var deletedDateTime: Date
    var memberships: [String]
    var ownerships: [String]
}
