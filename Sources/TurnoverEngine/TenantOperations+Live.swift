public import MicrosoftGraph
public import TurnoverCore

extension TenantOperations {
    /// The tenant's operations over MicrosoftGraph: Graph, Exchange's admin API and SharePoint.
    /// Microsoft's refusals that still leave the desired state (already gone, already a member) are
    /// told apart by MicrosoftGraph's error classification, never by message text here.
    public static func live(_ client: MicrosoftClient) -> TenantOperations {
        TenantOperations(
            user: { userId in
                let user = try await client.user(
                    userId,
                    select: [
                        "accountEnabled", "lastPasswordChangeDateTime", "signInSessionsValidFromDateTime", "assignedLicenses",
                        "licenseAssignmentStates",
                    ])
                var groupAssigned: [String: [String]] = [:]
                for state in user.licenseAssignmentStates ?? [] {
                    if let skuId = state.skuId, let group = state.assignedByGroup { groupAssigned[skuId, default: []].append(group) }
                }
                return LiveUser(
                    accountEnabled: user.accountEnabled, lastPasswordChange: user.lastPasswordChangeDateTime,
                    sessionsValidFrom: user.signInSessionsValidFromDateTime,
                    assignedSkuIds: (user.assignedLicenses ?? []).map(\.skuId),
                    groupAssignedSkus: groupAssigned)
            },
            setAccountEnabled: { userId, enabled in try await client.setAccountEnabled(userId, enabled) },
            resetPassword: { userId, password in try await client.resetPassword(userId, to: password) },
            revokeSessions: { userId in try await client.revokeSignInSessions(userId) },
            authenticationMethodIds: { userId in try await client.authenticationMethods(userId).map(\.id) },
            deleteAuthenticationMethod: { userId, method in
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
            },
            mailbox: { upn in
                try await client.mailbox(upn).map { mailbox in
                    LiveMailbox(
                        type: mailbox.RecipientTypeDetails, forwardingAddress: mailbox.ForwardingAddress,
                        forwardingSmtpAddress: mailbox.ForwardingSmtpAddress,
                        deliverToMailboxAndForward: mailbox.DeliverToMailboxAndForward == true,
                        hiddenFromAddressLists: mailbox.HiddenFromAddressListsEnabled == true)
                }
            },
            convertMailbox: { upn, toShared in try await client.convertMailbox(upn, toShared: toShared) },
            setForwarding: { upn, forwarding in
                try await client.setForwarding(upn, to: forwarding?.to, keepCopy: forwarding?.keepCopy ?? false)
            },
            restoreForwarding: { upn, state in
                try await client.setForwarding(
                    upn, forwardingAddress: state.forwardingAddress, forwardingSmtpAddress: state.forwardingSmtpAddress,
                    deliverToMailboxAndForward: state.deliverToMailboxAndForward)
            },
            setHiddenFromAddressLists: { upn, hidden in try await client.setHiddenFromAddressLists(upn, hidden) },
            fullAccessHolders: { mailbox in try await client.fullAccessHolders(mailbox) },
            addFullAccess: { mailbox, delegate, autoMapping in
                try await client.addFullAccess(mailbox: mailbox, delegate: delegate, autoMapping: autoMapping)
            },
            removeFullAccess: { mailbox, delegate in
                try await removal { try await client.removeFullAccess(mailbox: mailbox, delegate: delegate) }
            },
            autoReply: { mailbox in
                try await client.autoReplyConfiguration(mailbox).map {
                    LiveAutoReply(enabled: $0.isOn, internalMessage: $0.InternalMessage)
                }
            },
            setAutoReply: { mailbox, internalMessage, externalMessage in
                try await client.setAutoReply(mailbox, internalMessage: internalMessage, externalMessage: externalMessage)
            },
            disableAutoReply: { mailbox, internalMessage, externalMessage in
                try await client.disableAutoReply(mailbox, internalMessage: internalMessage, externalMessage: externalMessage)
            },
            groupOwnerIds: { groupId in try await client.groupOwners(groupId).map(\.id) },
            addGroupOwner: { groupId, userId in try await client.addGroupOwner(groupId: groupId, userId: userId) },
            removeGroupOwner: { groupId, userId in try await removal { try await client.removeGroupOwner(groupId: groupId, userId: userId) }
            },
            memberGroupIds: { userId in try await client.memberOf(userId).map(\.id) },
            removeGroupMember: { groupId, userId in
                try await removal { try await client.removeGroupMember(groupId: groupId, userId: userId) }
            },
            addGroupMember: { groupId, userId in try await client.addGroupMember(groupId: groupId, userId: userId) },
            removeDistributionGroupMember: { group, member in
                try await removal { try await client.removeDistributionGroupMember(group: group, member: member) }
            },
            addDistributionGroupMember: { group, member in
                do { try await client.addDistributionGroupMember(group: group, member: member) } catch let error as MicrosoftAPIError
                    where error.classification == .alreadyPresent
                {
                    return
                }
            },
            removeLicences: { userId, skuIds in
                do {
                    let user = try await client.assignLicense(userId: userId, remove: skuIds)
                    return LicenceRemoval(remainingSkuIds: (user.assignedLicenses ?? []).map(\.skuId))
                } catch let error as MicrosoftAPIError where error.classification == .alreadyAbsent {
                    let user = try await client.user(userId, select: ["assignedLicenses"])
                    return LicenceRemoval(remainingSkuIds: (user.assignedLicenses ?? []).map(\.skuId), wereAlreadyAbsent: true)
                }
            },
            addLicences: { userId, licences in
                let user = try await client.assignLicense(
                    userId: userId, add: licences.map { AssignedLicense(skuId: $0.skuId, disabledPlans: $0.disabledPlans ?? []) })
                return (user.assignedLicenses ?? []).map(\.skuId)
            })
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
