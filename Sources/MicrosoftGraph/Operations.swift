public import Foundation

/// Typed Graph operations (graph-api.md §1). Ids may be object ids or UPNs; paths are encoded here.
extension MicrosoftClient {
    public static let userSnapshotFields = [
        "id", "userPrincipalName", "displayName", "accountEnabled", "mail", "userType", "jobTitle", "department", "usageLocation",
        "assignedLicenses", "licenseAssignmentStates", "onPremisesSyncEnabled", "onPremisesImmutableId", "proxyAddresses",
        "createdDateTime",
    ]

    public func user(
        _ idOrUPN: String, select: [String] = MicrosoftClient.userSnapshotFields, expandManager: Bool = false
    ) async throws -> GraphUser {
        let fields = select.contains("id") ? select : ["id"] + select
        var parameters = [("$select", fields.joined(separator: ","))]
        if expandManager { parameters.append(("$expand", "manager($select=id,userPrincipalName,displayName)")) }
        return try await graph(GraphRequest("GET", GraphPath.user(idOrUPN) + GraphPath.query(parameters))).decode(GraphUser.self)
    }

    /// The user, or nil when Graph says it does not exist.
    public func userIfExists(_ idOrUPN: String, select: [String] = MicrosoftClient.userSnapshotFields) async throws -> GraphUser? {
        do { return try await user(idOrUPN, select: select) } catch let error as MicrosoftAPIError where error.isNotFound { return nil }
    }

    public func updateUser(_ id: String, _ changes: JSONValue) async throws {
        _ = try await graph(GraphRequest("PATCH", GraphPath.user(id), body: changes))
    }

    public func setAccountEnabled(_ id: String, _ enabled: Bool) async throws {
        try await updateUser(id, ["accountEnabled": .bool(enabled)])
    }

    /// Sets a new password. The password is sent once and never logged.
    public func resetPassword(_ id: String, to password: String, forceChange: Bool = true) async throws {
        try await updateUser(id, ["passwordProfile": ["password": .string(password), "forceChangePasswordNextSignIn": .bool(forceChange)]])
    }

    /// Invalidates refresh tokens and session cookies (Graph answers 200 `{value: true}` or 204).
    public func revokeSignInSessions(_ id: String) async throws {
        _ = try await graph(GraphRequest("POST", GraphPath.user(id) + "/revokeSignInSessions", idempotency: .safe))
    }

    public func authenticationMethods(_ userId: String) async throws -> [AuthenticationMethod] {
        try await graphAll(GraphPath.user(userId) + "/authentication/methods", as: AuthenticationMethod.self)
    }

    public func deleteAuthenticationMethod(userId: String, _ method: AuthenticationMethod) async throws {
        guard let collection = method.collection else { return }
        _ = try await graph(
            GraphRequest("DELETE", GraphPath.user(userId) + "/authentication/\(collection)/\(GraphPath.segment(method.id))"))
    }

    static let groupFields =
        "id,displayName,mail,groupTypes,mailEnabled,securityEnabled,onPremisesSyncEnabled,membershipRule,isAssignableToRole,assignedLicenses,resourceProvisioningOptions"

    /// Groups and directory roles (active assignments at tenant scope, each with its `roleTemplateId`).
    public func memberOf(_ userId: String) async throws -> [DirectoryObject] {
        try await graphAll(
            GraphPath.user(userId) + "/memberOf" + GraphPath.query([("$select", Self.groupFields + ",roleTemplateId")]),
            as: DirectoryObject.self)
    }

    /// The groups a user owns, each with its owners' ids, in one request addressed by UPN.
    public func ownedGroupsWithOwners(_ userId: String) async throws -> [DirectoryObject] {
        try await graphAll(
            GraphPath.user(userId) + "/ownedObjects/microsoft.graph.group"
                + GraphPath.query([("$select", Self.groupFields), ("$expand", "owners($select=id)")]),
            as: DirectoryObject.self)
    }

    public func groupOwners(_ groupId: String) async throws -> [DirectoryObject] {
        try await graphAll(
            GraphPath.group(groupId) + "/owners" + GraphPath.query([("$select", "id,userPrincipalName,displayName")]),
            as: DirectoryObject.self)
    }

    public func groupMembers(_ groupId: String) async throws -> [DirectoryObject] {
        try await graphAll(
            GraphPath.group(groupId) + "/members" + GraphPath.query([("$select", "id,userPrincipalName,displayName")]),
            as: DirectoryObject.self)
    }

    /// Adds an owner; repeating after an ambiguous failure first checks whether the owner is already there.
    public func addGroupOwner(groupId: String, userId: String) async throws {
        try await addReference(groupId, "owners", userId) { try await self.groupOwners(groupId).contains { $0.id == userId } }
    }

    /// Adds a member, checking first in the same way.
    public func addGroupMember(groupId: String, userId: String) async throws {
        try await addReference(groupId, "members", userId) { try await self.memberOf(userId).contains { $0.id == groupId } }
    }

    /// POSTs a `$ref` to a group's owners or members; Graph's "already exist" refusal means the
    /// desired state holds.
    private func addReference(
        _ groupId: String, _ relation: String, _ userId: String, alreadyThere: @escaping @Sendable () async throws -> Bool
    ) async throws {
        let reference = "\(connection.cloud.graphHost)/v1.0/directoryObjects/\(userId)"
        do {
            _ = try await graph(
                GraphRequest(
                    "POST", GraphPath.group(groupId) + "/\(relation)/$ref", body: ["@odata.id": .string(reference)],
                    idempotency: .checkFirst(alreadyThere)))
        } catch let error as MicrosoftAPIError where error.classification == .alreadyPresent {
            return
        }
    }

    public func removeGroupOwner(groupId: String, userId: String) async throws {
        _ = try await graph(GraphRequest("DELETE", GraphPath.group(groupId) + "/owners/\(GraphPath.segment(userId))/$ref"))
    }

    /// Removes a membership (never the user: the `/$ref` is what makes this a reference removal).
    public func removeGroupMember(groupId: String, userId: String) async throws {
        _ = try await graph(GraphRequest("DELETE", GraphPath.group(groupId) + "/members/\(GraphPath.segment(userId))/$ref"))
    }

    public func subscribedSkus() async throws -> [SubscribedSku] {
        try await graphAll("/subscribedSkus", as: SubscribedSku.self)
    }

    /// `assignLicense`; adding and removing the same licence again leaves the same state, so it is safe to repeat.
    @discardableResult
    public func assignLicense(userId: String, add: [AssignedLicense] = [], remove: [String] = []) async throws -> GraphUser {
        let body: JSONValue = ["addLicenses": try JSONValue.from(add), "removeLicenses": .array(remove.map { .string($0) })]
        return try await graph(GraphRequest("POST", GraphPath.user(userId) + "/assignLicense", body: body, idempotency: .safe)).decode(
            GraphUser.self)
    }

    public func directReports(_ userId: String) async throws -> [DirectoryObject] {
        try await graphAll(
            GraphPath.user(userId) + "/directReports"
                + GraphPath.query([("$select", "id,userPrincipalName,displayName,onPremisesSyncEnabled")]),
            as: DirectoryObject.self)
    }

    /// Who holds a directory role (for example every Global Administrator), each principal expanded
    /// with whether its account is enabled: a disabled holder cannot administer the tenant.
    public func roleAssignments(roleDefinitionId: String) async throws -> [RoleAssignment] {
        try await graphAll(
            "/roleManagement/directory/roleAssignments"
                + GraphPath.query([
                    ("$filter", "roleDefinitionId eq \(GraphPath.filterLiteral(roleDefinitionId))"),
                    ("$expand", "principal($select=id,accountEnabled)"),
                ]),
            as: RoleAssignment.self)
    }

    /// The directory's PIM eligibilities, read whole beside the other reads (filtering by the
    /// leaver's id would wait for the user read); a tenant has few.
    public func roleEligibilities() async throws -> [RoleEligibility] {
        try await graphAll(
            "/roleManagement/directory/roleEligibilityScheduleInstances"
                + GraphPath.query([("$select", "id,principalId,roleDefinitionId,directoryScopeId,endDateTime")]),
            as: RoleEligibility.self)
    }

    /// The mailbox's regional time zone (`mailboxSettings.timeZone`: the zone Exchange's regional
    /// configuration holds, usually a Windows zone name such as "Tokyo Standard Time").
    public func mailboxTimeZone(_ user: String) async throws -> String? {
        let response = try await graph(
            GraphRequest("GET", GraphPath.user(user) + "/mailboxSettings" + GraphPath.query([("$select", "timeZone")])))
        return response.body?["timeZone"]?.string
    }

    /// How many days SharePoint keeps a deleted user's OneDrive before deleting it
    /// (`deletedUserPersonalSiteRetentionPeriodInDays` of `GET /admin/sharepoint/settings`).
    public func deletedUserOneDriveRetentionDays() async throws -> Int? {
        let response = try await graph(
            GraphRequest(
                "GET", "/admin/sharepoint/settings" + GraphPath.query([("$select", "deletedUserPersonalSiteRetentionPeriodInDays")])))
        return response.body?["deletedUserPersonalSiteRetentionPeriodInDays"]?.int
    }

    public func removeRoleAssignment(_ id: String) async throws {
        _ = try await graph(GraphRequest("DELETE", "/roleManagement/directory/roleAssignments/\(GraphPath.segment(id))"))
    }

    public func appRoleAssignments(_ userId: String) async throws -> [AppRoleAssignment] {
        try await graphAll(GraphPath.user(userId) + "/appRoleAssignments", as: AppRoleAssignment.self)
    }

    public func oauth2PermissionGrants(_ userId: String) async throws -> [OAuth2PermissionGrant] {
        try await graphAll(GraphPath.user(userId) + "/oauth2PermissionGrants", as: OAuth2PermissionGrant.self)
    }

    public func managedDevices(_ userId: String) async throws -> [ManagedDevice] {
        try await graphAll(GraphPath.user(userId) + "/managedDevices", as: ManagedDevice.self)
    }

    public func registeredDevices(_ userId: String) async throws -> [DirectoryObject] {
        try await graphAll(
            GraphPath.user(userId) + "/registeredDevices" + GraphPath.query([("$select", "id,displayName,accountEnabled")]),
            as: DirectoryObject.self)
    }

    /// The user's OneDrive, or nil when it is not provisioned.
    public func drive(_ userId: String) async throws -> Drive? {
        do { return try await graph(GraphRequest("GET", GraphPath.user(userId) + "/drive")).decode(Drive.self) } catch let error
            as MicrosoftAPIError
            where error.isNotFound
        {
            return nil
        }
    }
}

/// Typed Exchange operations (graph-api.md §3).
extension MicrosoftClient {
    public func mailbox(_ identity: String) async throws -> ExchangeMailbox? {
        do {
            return try await exchange(ExchangeCommand("Get-Mailbox", ["Identity": .string(identity)])).first?.decode(ExchangeMailbox.self)
        } catch let error as MicrosoftAPIError where error.classification == .notFound {
            return nil
        }
    }

    /// `Set-Mailbox -Type Shared` or `-Type Regular`.
    public func convertMailbox(_ identity: String, toShared: Bool) async throws {
        try await setMailbox(identity, ["Type": .string(toShared ? "Shared" : "Regular")])
    }

    /// Forwards to a recipient in the tenant (clearing any SMTP forwarding), or clears all forwarding.
    public func setForwarding(_ identity: String, to recipient: String?, keepCopy: Bool) async throws {
        if let recipient {
            try await setMailbox(
                identity,
                ["ForwardingAddress": .string(recipient), "ForwardingSmtpAddress": .null, "DeliverToMailboxAndForward": .bool(keepCopy)])
        } else {
            try await setMailbox(identity, ["ForwardingAddress": .null, "ForwardingSmtpAddress": .null])
        }
    }

    /// Sets every forwarding property at once to the values given (nil clears one), as a restore does.
    public func setForwarding(
        _ identity: String, forwardingAddress: String?, forwardingSmtpAddress: String?, deliverToMailboxAndForward: Bool
    ) async throws {
        try await setMailbox(
            identity,
            [
                "ForwardingAddress": forwardingAddress.map(JSONValue.string) ?? .null,
                "ForwardingSmtpAddress": forwardingSmtpAddress.map(JSONValue.string) ?? .null,
                "DeliverToMailboxAndForward": .bool(deliverToMailboxAndForward),
            ])
    }

    public func setHiddenFromAddressLists(_ identity: String, _ hidden: Bool) async throws {
        try await setMailbox(identity, ["HiddenFromAddressListsEnabled": .bool(hidden)])
    }

    public func setMailbox(_ identity: String, _ parameters: [String: JSONValue]) async throws {
        var all = parameters
        all["Identity"] = .string(identity)
        _ = try await exchange(ExchangeCommand("Set-Mailbox", all))
    }

    /// Total mailbox size in bytes, from `Get-MailboxStatistics` ("8.4 GB (9,019,431,321 bytes)").
    public func mailboxSizeBytes(_ identity: String) async throws -> Int64? {
        let statistics = try await exchange(ExchangeCommand("Get-MailboxStatistics", ["Identity": .string(identity)])).first
        guard let text = statistics?["TotalItemSize"]?.string, let open = text.lastIndex(of: "(") else { return nil }
        return Int64(text[text.index(after: open)...].filter(\.isNumber))
    }

    public func mailboxPermissions(_ identity: String) async throws -> [MailboxPermission] {
        try await exchange(ExchangeCommand("Get-MailboxPermission", ["Identity": .string(identity)])).map(MailboxPermission.init)
    }

    /// Who holds Full Access explicitly (not inherited, not the system's own entries).
    public func fullAccessHolders(_ identity: String) async throws -> [String] {
        try await mailboxPermissions(identity).filter { $0.grantsFullAccess && !$0.isInherited && !$0.isSystemEntry }.map(\.user)
    }

    /// Full Access for a delegate; checks before repeating so a grant is never doubled.
    public func addFullAccess(mailbox: String, delegate: String, autoMapping: Bool) async throws {
        let check: @Sendable () async throws -> Bool = {
            try await self.mailboxPermissions(mailbox).contains {
                $0.user.lowercased() == delegate.lowercased() && $0.grantsFullAccess
            }
        }
        _ = try await exchange(
            ExchangeCommand(
                "Add-MailboxPermission",
                [
                    "Identity": .string(mailbox), "User": .string(delegate), "AccessRights": ["FullAccess"], "InheritanceType": "All",
                    "AutoMapping": .bool(autoMapping),
                ], idempotency: .checkFirst(check)))
    }

    /// Takes a delegate's Full Access away again.
    public func removeFullAccess(mailbox: String, delegate: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Remove-MailboxPermission",
                ["Identity": .string(mailbox), "User": .string(delegate), "AccessRights": ["FullAccess"], "InheritanceType": "All"],
                idempotency: .safe))
    }

    public func addDistributionGroupMember(group: String, member: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Add-DistributionGroupMember",
                ["Identity": .string(group), "Member": .string(member), "BypassSecurityGroupManagerCheck": true],
                idempotency: .safe))
    }

    public func removeDistributionGroupMember(group: String, member: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Remove-DistributionGroupMember",
                ["Identity": .string(group), "Member": .string(member), "BypassSecurityGroupManagerCheck": true],
                idempotency: .safe))
    }

    public func autoReplyConfiguration(_ identity: String) async throws -> AutoReplyConfiguration? {
        try await exchange(ExchangeCommand("Get-MailboxAutoReplyConfiguration", ["Identity": .string(identity)])).first?
            .decode(AutoReplyConfiguration.self)
    }

    public func setAutoReply(
        _ identity: String, internalMessage: String, externalMessage: String, externalAudience: String = "All"
    ) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Set-MailboxAutoReplyConfiguration",
                [
                    "Identity": .string(identity), "AutoReplyState": "Enabled", "InternalMessage": .string(internalMessage),
                    "ExternalMessage": .string(externalMessage), "ExternalAudience": .string(externalAudience),
                ]))
    }

    /// Turns the auto-reply off, with the texts it is to keep (Exchange keeps them while it is off).
    public func disableAutoReply(_ identity: String, internalMessage: String, externalMessage: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Set-MailboxAutoReplyConfiguration",
                [
                    "Identity": .string(identity), "AutoReplyState": "Disabled", "InternalMessage": .string(internalMessage),
                    "ExternalMessage": .string(externalMessage),
                ]))
    }

    public func inboxRules(_ identity: String) async throws -> [InboxRule] {
        try await exchange(ExchangeCommand("Get-InboxRule", ["Mailbox": .string(identity)])).map(InboxRule.init)
    }
}

/// OneDrive site-collection admin through SharePoint REST (graph-api.md §4).
extension MicrosoftClient {
    public func makeSiteAdmin(siteURL: String, userPrincipalName: String) async throws {
        let ensured = try await sharePoint(
            siteURL: siteURL, method: "POST", apiPath: "/_api/web/ensureuser",
            body: ["logonName": .string("i:0#.f|membership|\(userPrincipalName)")])
        guard let id = ensured?["Id"]?.int else {
            throw MicrosoftAPIError(
                service: .sharePoint, status: 200, code: "UnexpectedResponse", message: "ensureuser returned no Id",
                operation: "POST /_api/web/ensureuser")
        }
        _ = try await sharePoint(
            siteURL: siteURL, method: "POST", apiPath: "/_api/web/getuserbyid(\(id))", body: ["IsSiteAdmin": true],
            headers: [("X-HTTP-Method", "MERGE"), ("IF-MATCH", "*")])
    }

    /// The e-mail addresses of the site's collection administrators.
    public func siteAdmins(siteURL: String) async throws -> [String] {
        let users = try await sharePoint(siteURL: siteURL, method: "GET", apiPath: "/_api/web/siteusers", body: nil)
        return (users?["value"]?.array ?? []).filter { $0["IsSiteAdmin"]?.bool == true }.compactMap { $0["Email"]?.string }
    }

    /// Takes site-collection admin away again (the user stays known to the site).
    public func removeSiteAdmin(siteURL: String, userPrincipalName: String) async throws {
        let ensured = try await sharePoint(
            siteURL: siteURL, method: "POST", apiPath: "/_api/web/ensureuser",
            body: ["logonName": .string("i:0#.f|membership|\(userPrincipalName)")])
        guard let id = ensured?["Id"]?.int else { return }
        _ = try await sharePoint(
            siteURL: siteURL, method: "POST", apiPath: "/_api/web/getuserbyid(\(id))", body: ["IsSiteAdmin": false],
            headers: [("X-HTTP-Method", "MERGE"), ("IF-MATCH", "*")])
    }
}

/// One page of a directory search, with the link to the next page (Graph's `@odata.nextLink`, opaque).
public struct UserPage: Sendable {
    public var users: [GraphUser]
    public var nextLink: String?
}

extension MicrosoftClient {
    /// Members of the directory whose display name, user principal name or mail starts with `text`
    /// (all when empty), `top` per page. `nextLink` continues a previous page.
    public func searchUsers(_ text: String, top: Int, nextLink: String? = nil) async throws -> UserPage {
        let request: GraphRequest
        if let nextLink {
            precondition(isOwnLink(nextLink), "a next link of another host")
            request = GraphRequest("GET", nextLink, batchable: false)
        } else {
            var parameters = [("$select", "id,userPrincipalName,displayName,accountEnabled"), ("$top", String(top))]
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty {
                // OData quotes a quote by doubling it.
                let quoted = trimmed.replacingOccurrences(of: "'", with: "''")
                parameters.append(
                    (
                        "$filter",
                        "startswith(displayName,'\(quoted)') or startswith(userPrincipalName,'\(quoted)') or startswith(mail,'\(quoted)')"
                    ))
            }
            request = GraphRequest("GET", "/users" + GraphPath.query(parameters))
        }
        let page = nextLink == nil ? try await graph(request) : try await performGraph(request)
        return UserPage(
            users: try (page.body?["value"]?.array ?? []).map { try $0.decode(GraphUser.self) },
            nextLink: page.body?["@odata.nextLink"]?.string)
    }

    /// Whether `link` points at this tenant's Graph: a next link from elsewhere is never followed
    /// (it would carry the tenant's token to another host).
    public func isOwnLink(_ link: String) -> Bool { link.hasPrefix(connection.cloud.graphHost + "/") }
}
