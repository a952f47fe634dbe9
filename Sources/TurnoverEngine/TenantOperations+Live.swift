import Foundation
public import MicrosoftGraph
public import TurnoverCore

extension TenantOperations {
    /// The tenant's operations over MicrosoftGraph: Graph, Exchange's admin API and SharePoint.
    /// Microsoft's refusals that still leave the desired state (already gone, already a member) are
    /// told apart by MicrosoftGraph's error classification, never by message text here.
    public static func live(_ client: MicrosoftClient) -> TenantOperations {
        var operations = TenantOperations()
        operations.user = { userId in
            let user = try await client.user(
                userId,
                select: [
                    "accountEnabled", "lastPasswordChangeDateTime", "signInSessionsValidFromDateTime", "assignedLicenses",
                    "licenseAssignmentStates", "onPremisesImmutableId",
                ])
            var groupAssigned: [String: [String]] = [:]
            for state in user.licenseAssignmentStates ?? [] {
                if let skuId = state.skuId, let group = state.assignedByGroup { groupAssigned[skuId, default: []].append(group) }
            }
            return LiveUser(
                accountEnabled: user.accountEnabled, lastPasswordChange: user.lastPasswordChangeDateTime,
                sessionsValidFrom: user.signInSessionsValidFromDateTime,
                assignedSkuIds: (user.assignedLicenses ?? []).map(\.skuId),
                groupAssignedSkus: groupAssigned, immutableId: user.onPremisesImmutableId,
                directSkuIds: user.licenseAssignmentStates.map { states in states.filter { $0.assignedByGroup == nil }.compactMap(\.skuId) }
            )
        }
        operations.setAccountEnabled = { userId, enabled in try await client.setAccountEnabled(userId, enabled) }
        operations.resetPassword = { userId, password in try await client.resetPassword(userId, to: password) }
        operations.revokeSessions = { userId in try await client.revokeSignInSessions(userId) }
        operations.authenticationMethodIds = { userId in try await client.authenticationMethods(userId).map(\.id) }
        operations.deleteAuthenticationMethod = { userId, method in
            let graphMethod = AuthenticationMethod(odataType: method.type, id: method.id)
            guard graphMethod.collection != nil else { throw StepFailure("\(method.label) cannot be deleted through Graph") }
            do {
                try await client.deleteAuthenticationMethod(userId: userId, graphMethod)
                return .removed
            } catch let error as MicrosoftAPIError where error.classification == .notFound {
                return .alreadyAbsent
            } catch let error as MicrosoftAPIError where error.classification == .defaultAuthenticationMethod {
                return .refusedAsDefault
            }
        }
        operations.mailbox = { upn in
            try await client.mailbox(upn).map { mailbox in
                LiveMailbox(
                    type: mailbox.RecipientTypeDetails, forwardingAddress: mailbox.ForwardingAddress,
                    forwardingSmtpAddress: mailbox.ForwardingSmtpAddress,
                    deliverToMailboxAndForward: mailbox.DeliverToMailboxAndForward == true,
                    hiddenFromAddressLists: mailbox.HiddenFromAddressListsEnabled == true,
                    litigationHold: mailbox.LitigationHoldEnabled == true)
            }
        }
        operations.convertMailbox = { upn, toShared in try await client.convertMailbox(upn, toShared: toShared) }
        operations.setForwarding = { upn, forwarding in
            try await client.setForwarding(upn, to: forwarding?.to, keepCopy: forwarding?.keepCopy ?? false)
        }
        operations.restoreForwarding = { upn, state in
            try await client.setForwarding(
                upn, forwardingAddress: state.forwardingAddress, forwardingSmtpAddress: state.forwardingSmtpAddress,
                deliverToMailboxAndForward: state.deliverToMailboxAndForward)
        }
        operations.setHiddenFromAddressLists = { upn, hidden in try await client.setHiddenFromAddressLists(upn, hidden) }
        operations.fullAccessHolders = { mailbox in try await client.fullAccessHolders(mailbox) }
        operations.addFullAccess = { mailbox, delegate, autoMapping in
            try await client.addFullAccess(mailbox: mailbox, delegate: delegate, autoMapping: autoMapping)
        }
        operations.removeFullAccess = { mailbox, delegate in
            try await removal { try await client.removeFullAccess(mailbox: mailbox, delegate: delegate) }
        }
        operations.autoReply = { mailbox in
            try await client.autoReplyConfiguration(mailbox).map {
                LiveAutoReply(enabled: $0.isOn, internalMessage: $0.InternalMessage)
            }
        }
        operations.setAutoReply = { mailbox, internalMessage, externalMessage in
            try await client.setAutoReply(mailbox, internalMessage: internalMessage, externalMessage: externalMessage)
        }
        operations.disableAutoReply = { mailbox, internalMessage, externalMessage in
            try await client.disableAutoReply(mailbox, internalMessage: internalMessage, externalMessage: externalMessage)
        }
        operations.groupOwnerIds = { groupId in try await client.groupOwners(groupId).map(\.id) }
        operations.addGroupOwner = { groupId, userId in try await client.addGroupOwner(groupId: groupId, userId: userId) }
        operations.removeGroupOwner = { groupId, userId in
            try await removal { try await client.removeGroupOwner(groupId: groupId, userId: userId) }
        }
        operations.memberGroupIds = { userId in try await client.memberOf(userId).map(\.id) }
        operations.removeGroupMember = { groupId, userId in
            try await removal { try await client.removeGroupMember(groupId: groupId, userId: userId) }
        }
        operations.addGroupMember = { groupId, userId in try await client.addGroupMember(groupId: groupId, userId: userId) }
        operations.removeDistributionGroupMember = { group, member in
            try await removal { try await client.removeDistributionGroupMember(group: group, member: member) }
        }
        operations.addDistributionGroupMember = { group, member in
            do { try await client.addDistributionGroupMember(group: group, member: member) } catch let error as MicrosoftAPIError
                where error.classification == .alreadyPresent
            {
                return
            }
        }
        operations.removeLicences = { userId, skuIds in
            do {
                let user = try await client.assignLicense(userId: userId, remove: skuIds)
                return LicenceRemoval(remainingSkuIds: (user.assignedLicenses ?? []).map(\.skuId))
            } catch let error as MicrosoftAPIError where error.classification == .alreadyAbsent {
                let user = try await client.user(userId, select: ["assignedLicenses"])
                return LicenceRemoval(remainingSkuIds: (user.assignedLicenses ?? []).map(\.skuId), wereAlreadyAbsent: true)
            }
        }
        operations.addLicences = { userId, licences in
            let user = try await client.assignLicense(
                userId: userId, add: licences.map { AssignedLicense(skuId: $0.skuId, disabledPlans: $0.disabledPlans ?? []) })
            return (user.assignedLicenses ?? []).map(\.skuId)
        }
        operations.removeDirectoryRoleMember = { roleId, userId in
            try await removal { try await client.removeDirectoryRoleMember(directoryRoleId: roleId, userId: userId) }
        }
        operations.addDirectoryRoleMember = { roleId, userId in
            try await client.addDirectoryRoleMember(directoryRoleId: roleId, userId: userId)
        }
        operations.oauthGrants = { userId in
            try await client.oauth2PermissionGrants(userId).map {
                GrantInfo(id: $0.id, clientId: $0.clientId, resourceId: $0.resourceId, scope: $0.scope ?? "")
            }
        }
        operations.deleteOAuthGrant = { id in try await removal { try await client.deleteOAuth2PermissionGrant(id) } }
        operations.createOAuthGrant = { userId, grant in
            guard let resourceId = grant.resourceId else { throw StepFailure("the recorded consent names no resource API") }
            try await client.createOAuth2PermissionGrant(
                clientId: grant.clientId, principalId: userId, resourceId: resourceId, scope: grant.scope)
        }
        operations.appRoleAssignments = { userId in
            try await client.appRoleAssignments(userId).map {
                AppRoleInfo(
                    id: $0.id, appRoleId: $0.appRoleId ?? "", resourceId: $0.resourceId ?? "", resourceName: $0.resourceDisplayName ?? "")
            }
        }
        operations.removeAppRoleAssignment = { userId, id in
            try await removal { try await client.removeAppRoleAssignment(userId: userId, assignmentId: id) }
        }
        operations.addAppRoleAssignment = { userId, assignment in
            try await client.addAppRoleAssignment(userId: userId, resourceId: assignment.resourceId, appRoleId: assignment.appRoleId)
        }
        operations.deviceEnabled = { id in try await client.deviceEnabled(id) }
        operations.setDeviceEnabled = { id, enabled in try await client.setDeviceEnabled(id, enabled) }
        operations.managedDeviceState = { id in try await client.managedDeviceState(id) }
        operations.wipeManagedDevice = { id in try await client.wipeManagedDevice(id) }
        operations.retireManagedDevice = { id in try await client.retireManagedDevice(id) }
        operations.managerId = { userId in try await client.managerId(userId) }
        operations.setManager = { userId, managerId in try await client.setManager(userId, managerId: managerId) }
        operations.removeManager = { userId in try await removal { try await client.removeManager(userId) } }
        operations.inboxRuleIdentities = { mailbox in try await client.inboxRules(mailbox).compactMap(\.identity) }
        operations.removeInboxRule = { mailbox, identity in
            try await removal { try await client.removeInboxRule(mailbox: mailbox, identity: identity) }
        }
        operations.mobileDeviceIdentities = { mailbox in try await client.mobileDevices(mailbox).map(\.identity) }
        operations.wipeMobileDeviceAccount = { identity in try await client.wipeMobileDeviceAccount(identity: identity) }
        operations.accountWipedMobileDevices = { mailbox in try await client.accountWipedMobileDevices(mailbox) }
        operations.removeMobileDevice = { identity in try await removal { try await client.removeMobileDevice(identity: identity) } }
        operations.organizedMeetingIds = { mailbox in try await client.organizedMeetings(mailbox).map(\.id) }
        operations.cancelOrganizedMeetings = { mailbox, days in try await client.cancelOrganizedMeetings(mailbox, windowDays: days) }
        operations.siteAdmins = { site in try await client.siteAdmins(siteURL: site) }
        operations.addSiteAdmin = { site, upn in try await client.makeSiteAdmin(siteURL: site, userPrincipalName: upn) }
        operations.removeSiteAdmin = { site, upn in try await client.removeSiteAdmin(siteURL: site, userPrincipalName: upn) }
        operations.setImmutableId = { userId, value in
            try await client.updateUser(userId, ["onPremisesImmutableId": value.map(JSONValue.string) ?? .null])
        }
        operations.leaverProfile = { userId in
            let user = try await client.user(userId, select: ["displayName", "employeeLeaveDateTime"])
            return LeaverProfile(displayName: user.displayName ?? "", employeeLeaveDateTime: user.employeeLeaveDateTime)
        }
        operations.setLeaverProfile = { userId, profile in
            let leave = profile.employeeLeaveDateTime.map { JSONValue.string($0.formatted(Date.ISO8601FormatStyle())) } ?? .null
            try await client.updateUser(userId, ["displayName": .string(profile.displayName), "employeeLeaveDateTime": leave])
        }
        operations.userExists = { userId in try await client.userIfExists(userId, select: ["id"]) != nil }
        operations.deleteUser = { userId in try await removal { try await client.deleteUser(userId) } }
        operations.restoreUser = { userId in try await client.restoreDeletedUser(userId) }
        operations.holdsMailboxRight = { right, holder in
            switch right.kind {
            case .fullAccess:
                return try await client.mailboxPermissions(right.mailbox).contains {
                    $0.grantsFullAccess && !$0.isInherited && holder.isNamed(by: $0.user)
                }
            case .sendAs:
                return try await client.holdsSendAs(mailbox: right.mailbox, trustee: holder.userPrincipalName)
            case .sendOnBehalf:
                return try await client.mailbox(right.mailbox)?.GrantSendOnBehalfTo?.contains { holder.isNamed(by: $0) } ?? false
            case .calendar:
                return try await client.calendarPermissions(right.mailbox).contains { holder.isNamed(by: $0.user) }
            }
        }
        operations.removeMailboxRight = { right, holder in
            let upn = holder.userPrincipalName
            _ = try await removal {
                switch right.kind {
                case .fullAccess: try await client.removeFullAccess(mailbox: right.mailbox, delegate: upn)
                case .sendAs: try await client.removeSendAs(mailbox: right.mailbox, trustee: upn)
                case .sendOnBehalf: try await client.changeSendOnBehalf(mailbox: right.mailbox, delegate: upn, add: false)
                case .calendar: try await client.removeCalendarPermission(mailbox: right.mailbox, user: upn)
                }
            }
        }
        operations.addMailboxRight = { right, holder in
            let upn = holder.userPrincipalName
            do {
                switch right.kind {
                case .fullAccess: try await client.addFullAccess(mailbox: right.mailbox, delegate: upn, autoMapping: false)
                case .sendAs: try await client.addSendAs(mailbox: right.mailbox, trustee: upn)
                case .sendOnBehalf: try await client.changeSendOnBehalf(mailbox: right.mailbox, delegate: upn, add: true)
                case .calendar:
                    try await client.addCalendarPermission(mailbox: right.mailbox, user: upn, rights: right.calendarRights ?? [])
                }
            } catch let error as MicrosoftAPIError where error.classification == .alreadyPresent {
                return
            }
        }
        operations.driveShares = { driveId in
            try await client.driveRootShares(driveId: driveId).compactMap { share in
                share.email.map { DriveShareInfo(id: share.id, email: $0, roles: share.roles) }
            }
        }
        operations.removeDriveShare = { driveId, id in
            try await removal { try await client.deleteDriveRootShare(driveId: driveId, permissionId: id) }
        }
        operations.addDriveShare = { driveId, share in
            try await client.shareDriveRoot(driveId: driveId, email: share.email, roles: share.roles)
        }
        operations.setLitigationHold = { mailbox, enabled, days in
            try await client.setLitigationHold(mailbox, enabled: enabled, durationDays: days)
        }
        return operations
    }

    /// A removal Microsoft refuses because the thing is already gone has still reached its goal.
    static func removal(_ body: () async throws -> Void) async throws -> RemovalResult {
        do {
            try await body()
            return .removed
        } catch let error as MicrosoftAPIError where error.classification == .notFound || error.classification == .alreadyAbsent {
            return .alreadyAbsent
        }
    }
}
