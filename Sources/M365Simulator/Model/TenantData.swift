import Crypto
import Foundation

/// An application registration the simulator's token endpoint knows, with what it was granted.
public struct AppRegistration: Codable, Sendable, Equatable {
    public var clientId: String
    public var displayName: String
    public var servicePrincipalId: String
    public var clientSecrets: [String]
    public var certificate: AppCertificate?
    /// Microsoft Graph application permissions (app roles), e.g. `User.ReadWrite.All`.
    public var graphPermissions: [String]
    /// Office 365 Exchange Online application permissions, e.g. `Exchange.ManageAsApp`.
    public var exchangePermissions: [String]
    /// SharePoint application permissions, e.g. `Sites.FullControl.All`.
    public var sharePointPermissions: [String]
    /// Entra roles held by the app's service principal, by display name.
    public var directoryRoles: [String]
}

/// An app's certificate credential; the private key is handed out so clients can sign assertions.
public struct AppCertificate: Codable, Sendable, Equatable {
    public var certificatePEM: String
    public var privateKeyPEM: String
    /// Base64url SHA-1 of the DER certificate (the `x5t` header).
    public var sha1Thumbprint: String
    /// Base64url SHA-256 of the DER certificate (the `x5t#S256` header).
    public var sha256Thumbprint: String
}

/// Everything one simulated tenant holds. A value type: the tenant keeps versions of it to
/// model replication delay, and a reset restores the value the fixture produced.
struct TenantData: Codable, Sendable {
    var organization: Organization
    var apps: [AppRegistration]
    var servicePrincipals: [ServicePrincipal]
    var users: [String: DirectoryUser] = [:]
    var userOrder: [String] = []
    var groups: [String: DirectoryGroup] = [:]
    var groupOrder: [String] = []
    var skus: [SubscribedSku]
    var roles: [RoleDefinition]
    var roleAssignments: [RoleAssignment] = []
    /// PIM eligibilities: roles a principal may activate, not holds.
    var roleEligibilities: [RoleAssignment] = []
    /// SharePoint's `deletedUserPersonalSiteRetentionPeriodInDays`.
    var deletedUserOneDriveRetentionDays = 30
    var appRoleAssignments: [AppRoleAssignment] = []
    var oauth2Grants: [OAuth2Grant] = []
    var ownedApplications: [String: [String]] = [:]
    var entraDevices: [EntraDevice] = []
    var managedDevices: [ManagedDevice] = []
    var mailboxes: [String: Mailbox] = [:]
    var oneDrives: [String: OneDriveSite] = [:]
    var signIns: [SignInRecord] = []
    var deletedUsers: [String: DeletedUser] = [:]
    var breakGlassUserIds: [String] = []
    /// The time of the write in progress; stamps `lastModified` on changed users.
    var writeTime: Date?
    var lastDirectorySync: Date
    /// Group licences still held by members who left the group (see `leaveLicensingGroup`).
    var lingeringGroupLicences: [LingeringGroupLicence] = []
    /// When a read is served (set by the tenant for the duration of the read).
    var readTime: Date?
    var idSeed: String
    private var upnIndex: [String: String] = [:]
    private var counter: Int = 0

    init(
        organization: Organization, apps: [AppRegistration], servicePrincipals: [ServicePrincipal], skus: [SubscribedSku],
        roles: [RoleDefinition], now: Date, idSeed: String
    ) {
        self.organization = organization
        self.apps = apps
        self.servicePrincipals = servicePrincipals
        self.skus = skus
        self.roles = roles
        self.lastDirectorySync = now
        self.idSeed = idSeed
    }

    // MARK: Identifiers

    /// A fresh GUID, deterministic for a given fixture and sequence of writes.
    mutating func newId() -> String {
        counter += 1
        return DeterministicID.make("\(idSeed)/generated/\(counter)")
    }

    // MARK: Users

    mutating func insert(_ user: DirectoryUser) {
        var user = user
        if let writeTime { user.lastModified = writeTime }
        if users[user.id] == nil { userOrder.append(user.id) }
        if let previous = users[user.id] { upnIndex[previous.userPrincipalName.lowercased()] = nil }
        users[user.id] = user
        upnIndex[user.userPrincipalName.lowercased()] = user.id
    }

    mutating func updateUser(_ id: String, _ body: (inout DirectoryUser) throws -> Void) rethrows {
        guard var user = users[id] else { return }
        try body(&user)
        insert(user)
    }

    mutating func removeUser(_ id: String) {
        guard let user = users.removeValue(forKey: id) else { return }
        userOrder.removeAll { $0 == id }
        upnIndex[user.userPrincipalName.lowercased()] = nil
    }

    /// Resolves `/users/{key}`: an object id or a userPrincipalName, case-insensitively.
    func userId(forKey key: String) -> String? {
        if users[key] != nil { return key }
        if let id = upnIndex[key.lowercased()] { return id }
        let lowered = key.lowercased()
        return users.keys.first { $0.lowercased() == lowered }
    }

    func user(forKey key: String) -> DirectoryUser? {
        userId(forKey: key).flatMap { users[$0] }
    }

    var orderedUsers: [DirectoryUser] { userOrder.compactMap { users[$0] } }
    var orderedGroups: [DirectoryGroup] { groupOrder.compactMap { groups[$0] } }

    mutating func insert(_ group: DirectoryGroup) {
        if groups[group.id] == nil { groupOrder.append(group.id) }
        groups[group.id] = group
    }

    // MARK: Relationships

    func groupsWithMember(_ id: String) -> [DirectoryGroup] {
        orderedGroups.filter { $0.members.contains(id) }
    }

    func groupsOwnedBy(_ id: String) -> [DirectoryGroup] {
        orderedGroups.filter { $0.owners.contains(id) }
    }

    /// Groups reached through nested membership as well.
    func transitiveGroups(of id: String) -> [DirectoryGroup] {
        var seen: Set<String> = []
        var frontier = [id]
        var result: [DirectoryGroup] = []
        while let next = frontier.popLast() {
            for group in groupsWithMember(next) where seen.insert(group.id).inserted {
                result.append(group)
                frontier.append(group.id)
            }
        }
        return result
    }

    func directReports(of id: String) -> [DirectoryUser] {
        orderedUsers.filter { $0.managerId == id }
    }

    func roleAssignments(of principalId: String) -> [RoleAssignment] {
        roleAssignments.filter { $0.principalId == principalId }
    }

    /// Roles a user holds directly or through a role-assignable group.
    func effectiveRoleAssignments(of userId: String) -> [RoleAssignment] {
        let groupIds = groupsWithMember(userId).filter { $0.isAssignableToRole == true }.map(\.id)
        return roleAssignments.filter { $0.principalId == userId || groupIds.contains($0.principalId) }
    }

    func role(named name: String) -> RoleDefinition? {
        roles.first { $0.displayName.lowercased() == name.lowercased() }
    }

    func role(id: String) -> RoleDefinition? {
        roles.first { $0.id == id || $0.directoryRoleId == id }
    }

    func servicePrincipal(id: String) -> ServicePrincipal? {
        servicePrincipals.first { $0.id == id }
    }

    func app(clientId: String) -> AppRegistration? {
        apps.first { $0.clientId.lowercased() == clientId.lowercased() }
    }

    func app(servicePrincipalId: String) -> AppRegistration? {
        apps.first { $0.servicePrincipalId == servicePrincipalId }
    }

    // MARK: Licences

    /// Direct licences plus those inherited from groups the user is a direct member of.
    func effectiveLicenses(of userId: String) -> [(license: AssignedLicense, assignedByGroup: String?)] {
        guard let user = users[userId] else { return [] }
        var result: [(AssignedLicense, String?)] = user.directLicenses.map { ($0, nil) }
        for group in groupsWithMember(userId) where !group.assignedLicenses.isEmpty {
            for license in group.assignedLicenses { result.append((license, group.id)) }
        }
        let at = writeTime ?? readTime ?? Date()
        for lingering in lingeringGroupLicences where lingering.userId == userId && lingering.until > at {
            if !result.contains(where: { $0.1 == lingering.groupId && $0.0.skuId == lingering.license.skuId }) {
                result.append((lingering.license, lingering.groupId))
            }
        }
        return result
    }

    /// `assignedLicenses`: one entry per SKU, whichever way it arrives.
    func assignedLicenses(of userId: String) -> [AssignedLicense] {
        var seen: Set<String> = []
        return effectiveLicenses(of: userId).compactMap { entry in
            seen.insert(entry.license.skuId).inserted ? entry.license : nil
        }
    }

    func sku(id: String) -> SubscribedSku? {
        skus.first { $0.skuId.lowercased() == id.lowercased() }
    }

    func consumedUnits(of skuId: String) -> Int {
        userOrder.reduce(0) { total, id in
            total + (assignedLicenses(of: id).contains { $0.skuId.lowercased() == skuId.lowercased() } ? 1 : 0)
        }
    }

    func hasExchangeLicense(_ userId: String) -> Bool {
        assignedLicenses(of: userId).contains { sku(id: $0.skuId)?.includesExchange == true }
    }

    // MARK: Exchange recipients

    /// Resolves an Exchange `-Identity`: UPN, SMTP address, alias, display name, object id or GUID.
    func mailboxUserId(forIdentity identity: String) -> String? {
        let key = identity.lowercased()
        for (userId, mailbox) in mailboxes {
            if userId.lowercased() == key || mailbox.exchangeGuid.lowercased() == key || mailbox.alias.lowercased() == key
                || mailbox.primarySmtpAddress.lowercased() == key || mailbox.displayName.lowercased() == key
            {
                return userId
            }
            if let user = users[userId],
                user.userPrincipalName.lowercased() == key
                    || user.proxyAddresses.contains(where: { $0.lowercased() == "smtp:" + key })
            {
                return userId
            }
        }
        return nil
    }

    /// Resolves a recipient for permissions and forwarding: a mailbox user, any user, or a mail-enabled group.
    func recipientId(forIdentity identity: String) -> String? {
        if let id = mailboxUserId(forIdentity: identity) { return id }
        let key = identity.lowercased()
        if let user = orderedUsers.first(where: {
            $0.id.lowercased() == key || $0.userPrincipalName.lowercased() == key || $0.mail?.lowercased() == key
                || $0.displayName.lowercased() == key
        }) {
            return user.id
        }
        return distributionGroupId(forIdentity: identity)
    }

    func distributionGroupId(forIdentity identity: String) -> String? {
        let key = identity.lowercased()
        return orderedGroups.first { group in
            group.mailEnabled
                && (group.id.lowercased() == key || group.mail?.lowercased() == key || group.mailNickname.lowercased() == key
                    || group.displayName.lowercased() == key)
        }?.id
    }

    func recipientDisplayName(_ id: String) -> String {
        users[id]?.displayName ?? groups[id]?.displayName ?? id
    }

    func recipientAddress(_ id: String) -> String {
        mailboxes[id]?.primarySmtpAddress ?? users[id]?.mail ?? groups[id]?.mail ?? users[id]?.userPrincipalName ?? id
    }

    /// Whether a domain belongs to this tenant (for classifying forwarding targets).
    func isInternalAddress(_ address: String) -> Bool {
        guard let domain = address.split(separator: "@").last?.lowercased() else { return false }
        return organization.verifiedDomains.contains { $0.lowercased() == domain }
            || organization.initialDomain.lowercased() == domain
    }
}

/// Name-based GUIDs so a fixture gives the same ids on every load (a version 5 style GUID over SHA-256).
enum DeterministicID {
    static func make(_ name: String) -> String {
        var bytes = Array(SHA256.hash(data: Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

struct LingeringGroupLicence: Codable, Sendable, Equatable {
    var userId: String
    var groupId: String
    var license: AssignedLicense
    var until: Date
}
