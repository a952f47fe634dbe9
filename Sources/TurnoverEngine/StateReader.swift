public import Foundation
public import MicrosoftGraph
public import TurnoverCore

/// Reads a leaver's complete state in as few round trips as possible: everything that only needs the
/// UPN is requested at once (and travels in `$batch`es), then what needs the object id.
public struct StateReader: Sendable {
    public let client: MicrosoftClient
    public var now: @Sendable () -> Date

    public init(client: MicrosoftClient, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.now = now
    }

    struct NotFound: Error, CustomStringConvertible {
        var upn: String
        var description: String { "No user \(upn) in this tenant." }
    }

    static let userFields = MicrosoftClient.userSnapshotFields + ["lastPasswordChangeDateTime", "signInSessionsValidFromDateTime"]

    /// Reads the leaver and resolves the people the policy names in one round trip after the tokens:
    /// every read is addressed by UPN (or needs nothing), so all go at once and travel in `$batch`es.
    /// Roles come from `memberOf` (directory roles carry their template id) and owned groups expand
    /// their owners, so nothing waits for the leaver's object id.
    public func readForPlanning(_ upn: String, policy: Policy) async throws -> (LeaverSnapshot, ResolvedPeople) {
        let named =
            [policy.delegate, policy.forwardingTo].compactMap { recipient -> String? in
                if case .user(let name) = recipient { return name }
                return nil
            } + (policy.successor.map { [$0] } ?? [])
            + {
                if case .user(let name) = policy.directReportsTo { return [name] }
                return []
            }() + policy.fullAccess.map(\.user)
        let client = self.client
        async let lookups = withThrowingTaskGroup(of: (String, PersonRef?).self) { group in
            for name in Set(named) {
                group.addTask {
                    let user = try await client.userIfExists(name, select: ["id", "userPrincipalName", "displayName"])
                    return (
                        name.lowercased(),
                        user.map {
                            PersonRef(id: $0.id, userPrincipalName: $0.userPrincipalName ?? name, displayName: $0.displayName ?? name)
                        }
                    )
                }
            }
            var found: [String: PersonRef?] = [:]
            for try await (name, person) in group { found[name] = person }
            return found
        }
        async let blockGroups = Self.blockGroup(policy, client: client)
        let snapshot = try await read(upn, rightsElsewhere: policy.enables(RemoveMailboxRight.self))
        let found = try await lookups
        var people = ResolvedPeople()
        func resolve(_ recipient: Policy.Recipient) -> PersonRef? {
            switch recipient {
            case .none: return nil
            case .manager: return snapshot.manager
            case .user(let name):
                guard let person = found[name.lowercased()] ?? nil else {
                    if !people.unresolved.contains(name) { people.unresolved.append(name) }
                    return nil
                }
                return person
            }
        }
        people.delegate = resolve(policy.delegate)
        people.forwardingTarget = resolve(policy.forwardingTo)
        if let successor = policy.successor { people.successor = resolve(.user(successor)) }
        if case .user = policy.directReportsTo { people.directReportsTo = resolve(policy.directReportsTo) }
        people.fullAccess = policy.fullAccess.compactMap { grant in
            resolve(.user(grant.user)).map { FullAccessDelegate(person: $0, autoMapping: grant.autoMapping) }
        }
        if let name = policy.blockGroup, policy.enables(AddToBlockGroup.self) {
            let found = try await blockGroups
            if found.count == 1 { people.blockGroup = found[0] } else { people.unresolvedGroups.append(name) }
        }
        return (snapshot, people)
    }

    /// - Parameter rightsElsewhere: also look up the leaver's rights on other mailboxes (a second
    ///   round: Full Access and calendar permissions have no server-side filter by holder).
    public func read(_ upn: String, rightsElsewhere: Bool = false) async throws -> LeaverSnapshot {
        let client = self.client
        async let userRead = client.user(upn, select: Self.userFields, expandManager: true)
        // Needs AuditLog.Read.All and an Entra ID P1/P2 licence in the tenant; without them Graph
        // answers 403, and the snapshot goes on without it.
        async let signIn = Self.signInActivity(client, upn)
        async let memberOf = client.memberOf(upn)
        async let owned = client.ownedGroupsWithOwners(upn)
        async let methods = client.authenticationMethods(upn)
        async let reports = client.directReports(upn)
        async let grants = client.oauth2PermissionGrants(upn)
        async let appRoles = client.appRoleAssignments(upn)
        async let entraDevices = client.registeredDevices(upn)
        async let mobileDevices = Self.optional { try await client.mobileDevices(upn) }
        async let meetings = Self.optional { try await client.organizedMeetings(upn) }
        async let accountWiped = Self.optional { try await client.accountWipedMobileDevices(upn) }
        async let sendAsHolders = Self.optional { try await client.sendAsTrustees(upn) }
        async let devices = client.managedDevices(upn)
        async let drive = client.drive(upn)
        async let skus = client.subscribedSkus()
        async let mailbox = client.mailbox(upn)
        async let statistics = Self.optional { try await client.mailboxSizeBytes(upn) }
        async let permissions = Self.optional { try await client.mailboxPermissions(upn) }
        async let globalAdmins = client.roleAssignments(roleDefinitionId: RoleInfo.globalAdministratorId)
        async let eligibilities = Self.optional { try await client.roleEligibilities() }
        async let oneDriveRetention = Self.optional { try await client.deletedUserOneDriveRetentionDays() }
        async let mailboxZone = Self.optional { try await client.mailboxTimeZone(upn) }
        async let rules = Self.optional { try await client.inboxRules(upn) }
        async let autoReply = Self.optional { try await client.autoReplyConfiguration(upn) }
        async let everyMailbox = rightsElsewhere ? Self.optional { try await client.allMailboxes() } : nil
        async let sendAs = rightsElsewhere ? Self.optional { try await client.sendAsMailboxes(trustee: upn) } : nil

        let user: GraphUser
        do {
            user = try await userRead
        } catch let error as MicrosoftAPIError where error.isNotFound {
            throw NotFound(upn: upn)
        }

        let leaver = PersonRef(id: user.id, userPrincipalName: user.userPrincipalName ?? upn, displayName: user.displayName ?? upn)
        let (mailboxList, sendAsList) = (await everyMailbox, await sendAs)
        async let rights = Self.rightsElsewhere(of: leaver, mailboxes: mailboxList, sendAs: sendAsList, client: client)

        let tenantSkus = try await skus
        let skuInfo = tenantSkus.map { sku in
            SkuInfo(
                skuId: sku.skuId, partNumber: sku.skuPartNumber, includesExchange: Self.includesExchange(sku),
                consumed: sku.consumedUnits ?? 0, prepaid: sku.prepaidUnits?.enabled ?? 0)
        }
        let membership = try await memberOf
        let groupsMember = membership.filter(\.isGroup)
        let groupsOwned = try await owned
        let owners = Dictionary(groupsOwned.map { ($0.id, ($0.owners ?? []).map(\.id)) }, uniquingKeysWith: { first, _ in first })
        var groups: [String: GroupInfo] = [:]
        for object in groupsMember + groupsOwned {
            let isMember = groupsMember.contains { $0.id == object.id }
            let isOwner = groupsOwned.contains { $0.id == object.id }
            groups[object.id] = GroupInfo(
                id: object.id, displayName: object.displayName ?? object.id, mail: object.mail, kind: Self.kind(object),
                isDynamic: object.groupTypes?.contains("DynamicMembership") == true, isSynced: object.onPremisesSyncEnabled == true,
                isRoleAssignable: object.isAssignableToRole == true, assignsLicences: !(object.assignedLicenses ?? []).isEmpty,
                isTeam: object.resourceProvisioningOptions?.contains("Team") == true, isMember: isMember, isOwner: isOwner,
                ownerIds: owners[object.id] ?? [])
        }
        let licences: [LicenceInfo] = (user.licenseAssignmentStates ?? []).compactMap { state in
            guard let skuId = state.skuId, let sku = tenantSkus.first(where: { $0.skuId == skuId }) else { return nil }
            return LicenceInfo(
                skuId: skuId, partNumber: sku.skuPartNumber, includesExchange: Self.includesExchange(sku),
                viaGroupId: state.assignedByGroup,
                viaGroupName: state.assignedByGroup.flatMap { groups[$0]?.displayName },
                disabledPlans: state.assignedByGroup == nil
                    ? user.assignedLicenses?.first { $0.skuId == skuId }?.disabledPlans ?? state.disabledPlans : nil)
        }
        // Licences that licenseAssignmentStates did not list still count (as direct assignments).
        var allLicences = licences
        for licence in user.assignedLicenses ?? [] where !allLicences.contains(where: { $0.skuId == licence.skuId }) {
            if let sku = tenantSkus.first(where: { $0.skuId == licence.skuId }) {
                allLicences.append(
                    LicenceInfo(
                        skuId: sku.skuId, partNumber: sku.skuPartNumber, includesExchange: Self.includesExchange(sku),
                        disabledPlans: licence.disabledPlans))
            }
        }

        var mailboxInfo: MailboxInfo?
        if let exchangeMailbox = try await mailbox {
            let holders = try await permissions?.filter { $0.grantsFullAccess && !$0.isInherited && !$0.isSystemEntry }.map(\.user) ?? []
            let allRules = (await rules ?? []).map { rule in
                InboxRuleInfo(
                    name: rule.name, identity: rule.identity, targets: rule.forwardingTargets,
                    external: rule.forwardingTargets.contains { Self.domain($0) != Self.domain(user.userPrincipalName ?? "") })
            }
            let forwardingRules = allRules.filter { !$0.targets.isEmpty }
            let reply = await autoReply ?? nil
            let wiped = Set(await accountWiped ?? [])
            let partnerships = (await mobileDevices ?? []).map {
                MobileDeviceInfo(identity: $0.identity, name: $0.friendlyName, accountWiped: wiped.contains($0.identity))
            }
            let organized = (await meetings ?? []).map {
                MeetingInfo(
                    id: $0.id, subject: $0.subject, start: $0.start, isRecurringSeries: $0.isRecurringSeries,
                    attendeeCount: $0.attendeeCount)
            }
            let sendAs = await sendAsHolders ?? []
            let size = await statistics.flatMap { $0 } ?? 0
            mailboxInfo = MailboxInfo(
                primarySmtpAddress: exchangeMailbox.PrimarySmtpAddress, type: exchangeMailbox.RecipientTypeDetails,
                sizeBytes: size,
                archive: exchangeMailbox.ArchiveStatus == "Active", litigationHold: exchangeMailbox.LitigationHoldEnabled == true,
                inPlaceHolds: exchangeMailbox.InPlaceHolds ?? [], forwardingSmtpAddress: exchangeMailbox.ForwardingSmtpAddress,
                forwardingAddress: exchangeMailbox.ForwardingAddress,
                deliverToMailboxAndForward: exchangeMailbox.DeliverToMailboxAndForward == true,
                hiddenFromGAL: exchangeMailbox.HiddenFromAddressListsEnabled == true, fullAccessHolders: holders,
                forwardingRules: forwardingRules, autoReplyEnabled: reply?.isOn ?? false, autoReplyInternalMessage: reply?.InternalMessage,
                autoReplyExternalMessage: reply?.ExternalMessage, inboxRules: allRules, mobileDevices: partnerships,
                organizedMeetings: organized, sendAsHolders: sendAs, sendOnBehalfHolders: exchangeMailbox.GrantSendOnBehalfTo ?? [])
        }

        let authMethods = try await methods.map { method in
            AuthMethodInfo(
                id: method.id, type: method.odataType, label: Self.label(method), isPhone: method.collection == "phoneMethods",
                deletable: method.collection != nil)
        }
        let roles = membership.filter(\.isDirectoryRole).compactMap { role -> RoleInfo? in
            guard let template = role.roleTemplateId else { return nil }
            return RoleInfo(
                directoryRoleId: role.id, roleDefinitionId: template,
                name: role.displayName ?? RoleInfo.name(ofRoleDefinition: template))
        }
        // A disabled Global Administrator cannot administer the tenant, so it does not count as another.
        let otherAdmins = try await globalAdmins.filter { $0.principalId != user.id && $0.principal?.accountEnabled != false }.map(
            \.principalId)
        let oneDrive = try await drive
        let driveURL = oneDrive?.webUrl.map { url in url.components(separatedBy: "/Documents").first ?? url }

        let foundRights = await rights
        var snapshot = LeaverSnapshot(
            capturedAt: now(),
            user: UserInfo(
                id: user.id, userPrincipalName: user.userPrincipalName ?? upn, displayName: user.displayName ?? upn,
                accountEnabled: user.accountEnabled ?? true, isGuest: user.isGuest, isSynced: user.isSynced, mail: user.mail,
                lastSignIn: await signIn.date, lastSignInUnknownReason: await signIn.unknownReason,
                lastPasswordChange: user.lastPasswordChangeDateTime,
                sessionsValidFrom: user.signInSessionsValidFromDateTime, immutableId: user.onPremisesImmutableId),
            licences: allLicences, groups: groups.values.sorted { $0.displayName < $1.displayName }, roles: roles, mailbox: mailboxInfo,
            authMethods: authMethods,
            devices: try await devices.map {
                DeviceInfo(
                    id: $0.id, name: $0.deviceName ?? $0.id, operatingSystem: $0.operatingSystem, ownership: $0.managedDeviceOwnerType,
                    managementState: $0.managementState)
            },
            oneDriveURL: driveURL,
            manager: user.manager.flatMap { manager in
                manager.userPrincipalName.map { PersonRef(id: manager.id, userPrincipalName: $0, displayName: manager.displayName ?? $0) }
            },
            directReports: try await reports.compactMap { report in
                report.userPrincipalName.map { PersonRef(id: report.id, userPrincipalName: $0, displayName: report.displayName ?? $0) }
            },
            syncedDirectReportIds: Set(try await reports.filter { $0.onPremisesSyncEnabled == true }.map(\.id)),
            oauthGrants: try await grants.map {
                GrantInfo(id: $0.id, clientId: $0.clientId, resourceId: $0.resourceId, scope: $0.scope ?? "")
            },
            appRoleAssignments: try await appRoles.map {
                AppRoleInfo(
                    id: $0.id, appRoleId: $0.appRoleId ?? "", resourceId: $0.resourceId ?? "", resourceName: $0.resourceDisplayName ?? "")
            },
            registeredDevices: try await entraDevices.filter { $0.odataType == "#microsoft.graph.device" }.map {
                RegisteredDeviceInfo(id: $0.id, name: $0.displayName ?? $0.id, enabled: $0.accountEnabled ?? true)
            },
            rightsElsewhere: foundRights, otherGlobalAdmins: otherAdmins, tenantSkus: skuInfo)
        snapshot.oneDriveId = oneDrive?.id
        snapshot.eligibleRoles = (await eligibilities)?.filter { $0.principalId == leaver.id }.map {
            EligibleRole(
                roleDefinitionId: $0.roleDefinitionId, name: DirectoryRoleTemplates.name(of: $0.roleDefinitionId) ?? $0.roleDefinitionId,
                endsAt: $0.endDateTime)
        }
        snapshot.oneDriveRetentionDays = await oneDriveRetention ?? nil
        snapshot.mailboxTimeZone = await mailboxZone ?? nil
        snapshot.usageLocation = user.usageLocation
        return snapshot
    }

    /// The policy's block group by display name (read in the first round, with everything else).
    static func blockGroup(_ policy: Policy, client: MicrosoftClient) async throws -> [GroupRef] {
        guard let name = policy.blockGroup, policy.enables(AddToBlockGroup.self) else { return [] }
        return try await client.groups(named: name).map { GroupRef(id: $0.id, displayName: $0.displayName ?? name) }
    }

    /// How many mailboxes' permissions are asked at once; the client batches them by ten.
    static let rightsLookupConcurrency = 200

    /// The leaver's rights on other mailboxes: Send As and Send on Behalf from what round one
    /// brought, Full Access and calendar rights asked of each mailbox concurrently. Nil when a read
    /// failed: the plan then says the lookup is incomplete instead of claiming there is nothing.
    static func rightsElsewhere(
        of leaver: PersonRef, mailboxes: [ExchangeMailbox]?, sendAs: [String]?, client: MicrosoftClient
    ) async -> [MailboxRight]? {
        guard let mailboxes, let sendAs else { return nil }
        let others = mailboxes.filter { mailbox in
            mailbox.ExternalDirectoryObjectId != leaver.id
                && mailbox.PrimarySmtpAddress.lowercased() != leaver.userPrincipalName.lowercased()
                && mailbox.UserPrincipalName?.lowercased() != leaver.userPrincipalName.lowercased()
        }
        func address(of identity: String) -> String? {
            others.first { mailbox in
                [mailbox.ExternalDirectoryObjectId, mailbox.PrimarySmtpAddress, mailbox.UserPrincipalName].contains {
                    $0?.caseInsensitiveCompare(identity) == .orderedSame
                }
            }?.PrimarySmtpAddress
        }
        var rights = sendAs.compactMap(address(of:)).map { MailboxRight(mailbox: $0, kind: .sendAs) }
        rights += others.filter { ($0.GrantSendOnBehalfTo ?? []).contains(where: leaver.isNamed(by:)) }.map {
            MailboxRight(mailbox: $0.PrimarySmtpAddress, kind: .sendOnBehalf)
        }
        do {
            try await withThrowingTaskGroup(of: [MailboxRight].self) { group in
                var pending = others.makeIterator()
                func askNext() -> Bool {
                    guard let mailbox = pending.next() else { return false }
                    let address = mailbox.PrimarySmtpAddress
                    group.addTask {
                        async let permissions = client.mailboxPermissions(address)
                        async let calendar = client.calendarPermissions(address)
                        var found: [MailboxRight] = []
                        if try await permissions.contains(where: { $0.grantsFullAccess && !$0.isInherited && leaver.isNamed(by: $0.user) })
                        {
                            found.append(MailboxRight(mailbox: address, kind: .fullAccess))
                        }
                        if let entry = try await calendar.first(where: { leaver.isNamed(by: $0.user) }) {
                            found.append(MailboxRight(mailbox: address, kind: .calendar, calendarRights: entry.rights))
                        }
                        return found
                    }
                    return true
                }
                for _ in 0..<rightsLookupConcurrency where !askNext() { break }
                while let found = try await group.next() {
                    rights += found
                    _ = askNext()
                }
            }
        } catch {
            return nil
        }
        return rights.sorted { ($0.mailbox, $0.kind.rawValue) < ($1.mailbox, $1.kind.rawValue) }
    }

    /// The last sign-in, or why Graph would not say.
    static func signInActivity(_ client: MicrosoftClient, _ upn: String) async -> (date: Date?, unknownReason: String?) {
        do {
            let user = try await client.user(upn, select: ["id", "signInActivity"])
            return (user.signInActivity?.lastSignInDateTime, nil)
        } catch let error as MicrosoftAPIError where error.classification == .forbidden {
            return (
                nil,
                "Graph refused signInActivity (\(error.code)); it needs AuditLog.Read.All and an Entra ID P1 or P2 licence in the tenant"
            )
        } catch {
            return (nil, "signInActivity could not be read: \(error)")
        }
    }

    static func optional<T: Sendable>(_ body: @Sendable () async throws -> T) async -> T? {
        do { return try await body() } catch { return nil }
    }

    static func includesExchange(_ sku: SubscribedSku) -> Bool {
        (sku.servicePlans ?? []).contains { plan in
            let name = plan.servicePlanName.uppercased()
            return name.hasPrefix("EXCHANGE_S_") && !name.contains("ARCHIVE") && name != "EXCHANGE_S_FOUNDATION"
        }
    }

    static func kind(_ group: DirectoryObject) -> GroupKind {
        if group.groupTypes?.contains("Unified") == true { return .microsoft365 }
        switch (group.mailEnabled == true, group.securityEnabled == true) {
        case (true, true): return .mailEnabledSecurity
        case (true, false): return .distribution
        default: return .security
        }
    }

    static func label(_ method: AuthenticationMethod) -> String {
        let kind = method.odataType.replacingOccurrences(of: "#microsoft.graph.", with: "").replacingOccurrences(
            of: "AuthenticationMethod", with: "")
        if let phone = method.phoneNumber { return "\(kind) \(method.phoneType ?? "") \(phone)".replacingOccurrences(of: "  ", with: " ") }
        if let name = method.displayName { return "\(kind) (\(name))" }
        return kind
    }

    static func domain(_ address: String) -> String { address.split(separator: "@").last.map { $0.lowercased() } ?? "" }

}
