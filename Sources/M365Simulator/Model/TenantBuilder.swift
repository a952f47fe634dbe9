import Foundation

/// Turns a ``TenantFixture`` into the tenant's state.
struct TenantBuilder {
    let fixture: TenantFixture
    let now: Date
    /// Certificate generation is the slow part of loading; generated tenants may share one key.
    let certificateFactory: @Sendable (String) throws -> AppCertificate

    private(set) var data: TenantData!
    private var userIds: [String: String] = [:]
    private var groupIds: [String: String] = [:]
    private var tenantId = ""
    private var primaryDomain = ""
    private var initialDomain = ""

    init(fixture: TenantFixture, now: Date, certificateFactory: @escaping @Sendable (String) throws -> AppCertificate) {
        self.fixture = fixture
        self.now = now
        self.certificateFactory = certificateFactory
    }

    static func build(
        _ fixture: TenantFixture, now: Date,
        certificateFactory: @escaping @Sendable (String) throws -> AppCertificate = { name in
            SelfSignedCertificate.appCertificate(from: try SelfSignedCertificate.generate(commonName: name, now: Date()))
        }
    ) throws -> TenantData {
        var builder = TenantBuilder(fixture: fixture, now: now, certificateFactory: certificateFactory)
        try builder.run()
        return builder.data
    }

    private func id(_ kind: String, _ key: String) -> String {
        DeterministicID.make("\(tenantId)/\(kind)/\(key)")
    }

    private func userId(_ key: String, at place: String) throws -> String {
        guard let id = userIds[key] else { throw FixtureError(message: "\(place): no user with key '\(key)'") }
        return id
    }

    private func principalId(_ key: String, at place: String) throws -> String {
        if let id = userIds[key] ?? groupIds[key] { return id }
        throw FixtureError(message: "\(place): no user or group with key '\(key)'")
    }

    private func time(_ text: String?, at place: String) throws -> Date? {
        guard let text else { return nil }
        do { return try FixtureTime.parse(text, now: now) } catch let error as FixtureError {
            throw FixtureError(message: "\(place): \(error.message)")
        }
    }

    private mutating func run() throws {
        tenantId = fixture.tenantId ?? DeterministicID.make("tenant/\(fixture.name.lowercased())")
        let slug = fixture.name.lowercased().filter { $0.isLetter || $0.isNumber }
        initialDomain = fixture.initialDomain ?? "\(slug).onmicrosoft.com"
        primaryDomain = fixture.domains?.first ?? initialDomain
        let organization = Organization(
            id: tenantId, displayName: fixture.name, verifiedDomains: [initialDomain] + (fixture.domains ?? []),
            initialDomain: initialDomain, createdDateTime: now.addingTimeInterval(-86_400 * 2_000),
            countryLetterCode: fixture.country ?? "US", onPremisesSyncEnabled: fixture.hybrid ?? false)

        var servicePrincipals = [Catalog.microsoftGraph, Catalog.exchangeOnline, Catalog.sharePointOnline].map {
            ServicePrincipal(id: id("sp", $0.appId), appId: $0.appId, displayName: $0.displayName)
        }
        var apps: [AppRegistration] = []
        for (index, app) in fixture.apps.enumerated() {
            let clientId = app.clientId ?? id("app", app.name)
            let certificate: AppCertificate?
            switch app.certificate ?? .generate {
            case .none: certificate = nil
            case .generate: certificate = try certificateFactory("\(app.name) (\(fixture.name))")
            case .pem(let pem, let key):
                do { certificate = try SelfSignedCertificate.appCertificate(certificatePEM: pem, privateKeyPEM: key) } catch {
                    throw FixtureError(message: "apps[\(index)].certificate: \(error)")
                }
            }
            let registration = AppRegistration(
                clientId: clientId, displayName: app.name, servicePrincipalId: id("sp", clientId),
                clientSecrets: [app.clientSecret ?? "sim~" + id("secret", app.name).replacingOccurrences(of: "-", with: "")],
                certificate: certificate, graphPermissions: app.graph ?? [], exchangePermissions: app.exchange ?? [],
                sharePointPermissions: app.sharePoint ?? [], directoryRoles: app.roles ?? [])
            apps.append(registration)
            servicePrincipals.append(ServicePrincipal(id: registration.servicePrincipalId, appId: clientId, displayName: app.name))
        }
        for app in fixture.enterpriseApps ?? [] {
            let appId = app.appId ?? id("enterprise-app", app.name)
            let roles = (app.roles ?? ["User"]).map {
                AppRoleDefinition(id: id("app-role", "\(app.name)/\($0)"), value: $0, displayName: $0)
            }
            servicePrincipals.append(ServicePrincipal(id: id("sp", appId), appId: appId, displayName: app.name, appRoles: roles))
        }

        var skus: [SubscribedSku] = []
        for (index, sku) in fixture.skus.enumerated() {
            let template = Catalog.skus[sku.part]
            guard let skuId = sku.skuId ?? template?.skuId else {
                throw FixtureError(message: "skus[\(index)].part: '\(sku.part)' is not in the catalog; give skuId and plans")
            }
            let planNames = sku.plans ?? template?.plans ?? []
            let plans = planNames.map { ServicePlan(servicePlanId: Catalog.plans[$0] ?? id("plan", $0), servicePlanName: $0) }
            skus.append(
                SubscribedSku(
                    skuId: skuId, skuPartNumber: sku.part, displayName: sku.displayName ?? template?.displayName ?? sku.part,
                    enabledUnits: sku.units, servicePlans: plans))
        }

        let roles = Catalog.roles.map {
            RoleDefinition(
                id: $0.template.id, displayName: $0.name, isPrivileged: $0.template.privileged,
                directoryRoleId: id("directory-role", $0.name))
        }
        data = TenantData(
            organization: organization, apps: apps, servicePrincipals: servicePrincipals, skus: skus, roles: roles, now: now,
            idSeed: tenantId)

        for user in fixture.users {
            guard userIds[user.key] == nil else { throw FixtureError(message: "users: duplicate key '\(user.key)'") }
            userIds[user.key] = id("user", user.key)
        }
        for group in fixture.groups ?? [] {
            guard groupIds[group.key] == nil, userIds[group.key] == nil else {
                throw FixtureError(message: "groups: duplicate key '\(group.key)'")
            }
            groupIds[group.key] = id("group", group.key)
        }
        for (index, user) in fixture.users.enumerated() { try addUser(user, at: "users[\(index)]") }
        for (index, group) in (fixture.groups ?? []).enumerated() { try addGroup(group, at: "groups[\(index)]") }
        for (index, user) in fixture.users.enumerated() { try addRelationships(user, at: "users[\(index)]") }
        for (index, app) in fixture.apps.enumerated() {
            for role in app.roles ?? [] {
                guard let definition = data.role(named: role) else {
                    throw FixtureError(message: "apps[\(index)].roles: unknown role '\(role)'")
                }
                data.roleAssignments.append(
                    RoleAssignment(
                        id: id("role-assignment", "\(apps[index].clientId)/\(role)"), principalId: apps[index].servicePrincipalId,
                        roleDefinitionId: definition.id))
            }
        }
        for (roleName, keys) in (fixture.roles ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let definition = data.role(named: roleName) else { throw FixtureError(message: "roles: unknown role '\(roleName)'") }
            for key in keys {
                let principal = try principalId(key, at: "roles.\(roleName)")
                if let group = data.groups[principal], group.isAssignableToRole != true {
                    throw FixtureError(message: "roles.\(roleName): group '\(key)' is not role-assignable")
                }
                data.roleAssignments.append(
                    RoleAssignment(id: id("role-assignment", "\(key)/\(roleName)"), principalId: principal, roleDefinitionId: definition.id)
                )
            }
        }
        for (roleName, keys) in (fixture.eligibleRoles ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let definition = data.role(named: roleName) else {
                throw FixtureError(message: "eligibleRoles: unknown role '\(roleName)'")
            }
            for key in keys {
                let principal = try principalId(key, at: "eligibleRoles.\(roleName)")
                data.roleEligibilities.append(
                    RoleAssignment(
                        id: id("role-eligibility", "\(key)/\(roleName)"), principalId: principal, roleDefinitionId: definition.id))
            }
        }
        if let days = fixture.sharepoint?.deletedUserPersonalSiteRetentionPeriodInDays {
            guard (30...3650).contains(days) else {
                throw FixtureError(message: "sharepoint.deletedUserPersonalSiteRetentionPeriodInDays: 30 to 3650 days, not \(days)")
            }
            data.deletedUserOneDriveRetentionDays = days
        }
        data.breakGlassUserIds = try (fixture.breakGlass ?? []).map { try userId($0, at: "breakGlass") }
        for (index, user) in fixture.users.enumerated() where user.deleted != nil {
            let deletedAt = try time(user.deleted, at: "users[\(index)].deleted")!
            let userId = userIds[user.key]!
            // Microsoft purges a deleted user after 30 days; older fixtures entries are gone.
            guard now.timeIntervalSince(deletedAt) < 30 * 86_400, let record = data.users[userId] else {
                data.removeUser(userId)
                data.mailboxes[userId] = nil
                data.oneDrives[userId] = nil
                continue
            }
            let memberships = data.groupsWithMember(userId).map(\.id)
            let ownerships = data.groupsOwnedBy(userId).map(\.id)
            for groupId in memberships { data.groups[groupId]?.members.removeAll { $0 == userId } }
            for groupId in ownerships { data.groups[groupId]?.owners.removeAll { $0 == userId } }
            data.deletedUsers[userId] = DeletedUser(
                user: record, deletedDateTime: deletedAt, memberships: memberships, ownerships: ownerships)
            data.removeUser(userId)
        }
        try validateLicenceCounts()
    }

    private func validateLicenceCounts() throws {
        for sku in data.skus {
            let consumed = data.consumedUnits(of: sku.skuId)
            if consumed > sku.enabledUnits {
                throw FixtureError(
                    message: "skus: \(sku.skuPartNumber) has \(sku.enabledUnits) units but \(consumed) users are assigned it")
            }
        }
    }

    private mutating func addUser(_ spec: TenantFixture.User, at place: String) throws {
        let userId = userIds[spec.key]!
        let nameParts = spec.name.split(separator: " ")
        let upn: String
        var mail: String?
        var userType = "Member"
        if let guestAddress = spec.guest {
            userType = "Guest"
            upn = spec.upn ?? guestAddress.replacingOccurrences(of: "@", with: "_") + "#EXT#@" + initialDomain
            mail = guestAddress
        } else {
            upn = spec.upn ?? "\(spec.key)@\(primaryDomain)"
        }
        let mailNickname = String(upn.split(separator: "@").first ?? "").replacingOccurrences(of: "#EXT#", with: "")
        let created = try time(spec.created, at: "\(place).created") ?? now.addingTimeInterval(-86_400 * 400)
        var licenses: [AssignedLicense] = []
        for name in spec.licenses ?? [] {
            guard let sku = data.skus.first(where: { $0.skuPartNumber == name }) else {
                throw FixtureError(message: "\(place).licenses: the tenant has no SKU '\(name)'")
            }
            licenses.append(AssignedLicense(skuId: sku.skuId))
        }
        var onPremises: OnPremisesSource?
        if let synced = spec.synced {
            let sam = synced.samAccountName ?? String(spec.key.prefix(20))
            onPremises = OnPremisesSource(
                accountEnabled: synced.enabledOnPremises ?? (spec.enabled ?? true), displayName: spec.name, department: spec.department,
                jobTitle: spec.title, samAccountName: sam, domainName: "corp.\(primaryDomain)",
                distinguishedName: "CN=\(spec.name),OU=Staff,DC=corp,DC=\(primaryDomain.split(separator: ".").joined(separator: ",DC="))",
                securityIdentifier: "S-1-5-21-1004336348-1177238915-682003330-\(1000 + userIds.count + spec.key.count)",
                passwordWriteback: synced.passwordWriteback ?? false)
        }
        var methods = [
            AuthenticationMethod(id: AuthenticationMethod.passwordMethodId, kind: .password, createdDateTime: created)
        ]
        for (index, method) in (spec.authMethods ?? []).enumerated() {
            guard let kind = AuthenticationMethod.Kind(rawValue: method.type), kind != .password else {
                throw FixtureError(message: "\(place).authMethods[\(index)].type: unknown method '\(method.type)'")
            }
            var methodId = id("auth-method", "\(spec.key)/\(index)")
            if kind == .phone {
                switch method.phoneType ?? "mobile" {
                case "alternateMobile": methodId = AuthenticationMethod.alternateMobilePhoneId
                case "office": methodId = AuthenticationMethod.officePhoneId
                default: methodId = AuthenticationMethod.mobilePhoneId
                }
            }
            methods.append(
                AuthenticationMethod(
                    id: methodId, kind: kind, displayName: method.name, phoneNumber: method.phone,
                    phoneType: kind == .phone ? (method.phoneType ?? "mobile") : nil, emailAddress: method.email,
                    createdDateTime: created.addingTimeInterval(86_400), isDefault: method.isDefault ?? false))
        }
        let lastSignIn = try time(spec.lastSignIn, at: "\(place).lastSignIn")
        let sessionCount = spec.sessions ?? (spec.enabled == false ? 0 : 1)
        let sessions = (0..<sessionCount).map { index in
            SignInSession(
                issuedAt: now.addingTimeInterval(-3_600 * Double(index + 1)),
                client: ["Outlook", "Teams", "Browser", "OneDrive"][index % 4])
        }
        let validFrom = sessions.map(\.issuedAt).min().map { $0.addingTimeInterval(-86_400) } ?? created
        let isShared = spec.mailbox?.type == "shared" || spec.mailbox?.type == "room" || spec.mailbox?.type == "equipment"
        if mail == nil, spec.mailbox != nil || licenses.contains(where: { data.sku(id: $0.skuId)?.includesExchange == true }) {
            mail = upn
        }
        var user = DirectoryUser(
            id: userId, displayName: spec.name, givenName: nameParts.first.map(String.init),
            surname: nameParts.count > 1 ? nameParts.dropFirst().joined(separator: " ") : nil, userPrincipalName: upn, mail: mail,
            mailNickname: mailNickname, accountEnabled: isShared ? false : (spec.enabled ?? true), userType: userType,
            jobTitle: spec.title, department: spec.department, officeLocation: spec.office, mobilePhone: spec.mobile,
            usageLocation: spec.usageLocation ?? (userType == "Guest" ? nil : fixture.country ?? "US"), createdDateTime: created,
            lastPasswordChangeDateTime: created, signInSessionsValidFromDateTime: validFrom)
        user.directLicenses = licenses
        user.onPremises = onPremises
        user.onPremisesSyncEnabled = onPremises == nil ? nil : true
        user.onPremisesImmutableId =
            spec.immutableId ?? onPremises.map { _ in Data(id("immutable", spec.key).utf8.prefix(16)).base64EncodedString() }
        user.onPremisesLastSyncDateTime = onPremises == nil ? nil : now.addingTimeInterval(-900)
        user.authenticationMethods = methods
        user.sessions = sessions
        user.lastSignInDateTime = lastSignIn
        user.fixtureNote = spec.note
        if userType == "Guest" {
            user.creationType = "Invitation"
            user.externalUserState = "Accepted"
        }
        if let mail { user.proxyAddresses = ["SMTP:\(mail)", "smtp:\(mailNickname)@\(initialDomain)"] }
        if spec.mobile != nil { user.businessPhones = [] }
        data.insert(user)
        if let lastSignIn {
            data.signIns.append(
                SignInRecord(
                    id: id("sign-in", spec.key), createdDateTime: lastSignIn, userId: userId, userPrincipalName: upn,
                    userDisplayName: spec.name, appDisplayName: "Office 365 Exchange Online", clientAppUsed: "Browser",
                    ipAddress: "203.0.113.\(10 + userIds.count % 200)", errorCode: 0))
        }
    }

    private mutating func addGroup(_ spec: TenantFixture.Group, at place: String) throws {
        let groupId = groupIds[spec.key]!
        var groupTypes: [String] = []
        let mailEnabled: Bool
        let securityEnabled: Bool
        switch spec.type {
        case "m365":
            groupTypes = ["Unified"]
            mailEnabled = true
            securityEnabled = false
        case "security":
            mailEnabled = false
            securityEnabled = true
        case "mail-security":
            mailEnabled = true
            securityEnabled = true
        case "distribution":
            mailEnabled = true
            securityEnabled = false
        default:
            throw FixtureError(message: "\(place).type: '\(spec.type)' is not one of m365, security, mail-security, distribution")
        }
        if spec.dynamic != nil { groupTypes.append("DynamicMembership") }
        if spec.roleAssignable == true, !securityEnabled && spec.type != "m365" {
            throw FixtureError(message: "\(place).roleAssignable: only security or Microsoft 365 groups can be role-assignable")
        }
        var licenses: [AssignedLicense] = []
        for name in spec.licenses ?? [] {
            guard securityEnabled else {
                throw FixtureError(message: "\(place).licenses: only security-enabled groups can assign licences")
            }
            guard let sku = data.skus.first(where: { $0.skuPartNumber == name }) else {
                throw FixtureError(message: "\(place).licenses: the tenant has no SKU '\(name)'")
            }
            licenses.append(AssignedLicense(skuId: sku.skuId))
        }
        let nickname = spec.key.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let mail = mailEnabled ? (spec.mail ?? "\(nickname)@\(primaryDomain)") : nil
        var group = DirectoryGroup(
            id: groupId, displayName: spec.name, description: spec.description, mailNickname: nickname, mail: mail, groupTypes: groupTypes,
            mailEnabled: mailEnabled, securityEnabled: securityEnabled || spec.roleAssignable == true, membershipRule: spec.dynamic,
            membershipRuleProcessingState: spec.dynamic == nil ? nil : "On", onPremisesSyncEnabled: spec.synced == true ? true : nil,
            isAssignableToRole: spec.roleAssignable, visibility: spec.type == "m365" ? (spec.visibility ?? "Private") : nil,
            resourceProvisioningOptions: spec.team == true ? ["Team"] : [], createdDateTime: now.addingTimeInterval(-86_400 * 300))
        group.assignedLicenses = licenses
        group.members = try (spec.members ?? []).map { try principalId($0, at: "\(place).members") }
        group.owners = try (spec.owners ?? []).map { try userId($0, at: "\(place).owners") }
        group.proxyAddresses = mail.map { ["SMTP:\($0)"] } ?? []
        group.fixtureNote = spec.note
        data.insert(group)
    }

    private mutating func addRelationships(_ spec: TenantFixture.User, at place: String) throws {
        let userId = userIds[spec.key]!
        guard let user = data.users[userId] else { return }
        if let manager = spec.manager {
            let managerId = try self.userId(manager, at: "\(place).manager")
            data.users[userId]?.managerId = managerId
        }
        let tenantSlug = initialDomain.split(separator: ".").first.map(String.init) ?? "tenant"
        let hasExchange = data.hasExchangeLicense(userId)
        if spec.mailbox != nil || (hasExchange && !user.isGuest) {
            try addMailbox(spec, user: user, at: place)
        }
        let hasSharePoint = data.assignedLicenses(of: userId).contains { license in
            data.sku(id: license.skuId)?.servicePlans.contains { $0.servicePlanName.hasPrefix("SHAREPOINT") } == true
        }
        if let oneDrive = spec.oneDrive ?? (hasSharePoint && !user.isGuest ? TenantFixture.OneDriveSpec() : nil) {
            let personal = user.userPrincipalName.lowercased().map { $0 == "." || $0 == "@" ? "_" : $0 }
            let siteUrl = "https://\(tenantSlug)-my.sharepoint.com/personal/\(String(personal))"
            data.oneDrives[userId] = OneDriveSite(
                ownerId: userId, driveId: "b!" + id("drive", spec.key).replacingOccurrences(of: "-", with: ""),
                siteId: id("site", spec.key),
                webId: id("web", spec.key), siteUrl: siteUrl, quotaUsedBytes: Int64((oneDrive.usedGB ?? 1.5) * 1_073_741_824),
                quotaTotalBytes: 1_099_511_627_776,
                siteUsers: [
                    .init(
                        id: 7, loginName: "i:0#.f|membership|\(user.userPrincipalName.lowercased())",
                        email: user.mail ?? user.userPrincipalName, title: user.displayName, isSiteAdmin: true)
                ],
                sharedWith: (oneDrive.sharedWith ?? []).enumerated().map {
                    .init(id: id("share", "\(spec.key)/\($0.offset)"), email: $0.element, roles: ["read"])
                },
                nextSiteUserId: 8)
        }
        for (index, device) in (spec.devices ?? []).enumerated() {
            let deviceKey = "\(spec.key)/\(index)"
            let entraId = id("entra-device", deviceKey)
            let azureDeviceId = id("azure-device-id", deviceKey)
            data.entraDevices.append(
                EntraDevice(
                    id: entraId, deviceId: azureDeviceId, displayName: device.name, operatingSystem: device.os,
                    operatingSystemVersion: device.osVersion ?? "10.0.22631", accountEnabled: true,
                    trustType: device.join ?? (device.os == "Windows" ? "AzureAd" : "Workplace"), isManaged: device.intune ?? false,
                    isCompliant: device.compliant ?? false, registeredOwners: [userId], registeredUsers: [userId],
                    approximateLastSignInDateTime: now.addingTimeInterval(-7_200)))
            if device.intune == true {
                data.managedDevices.append(
                    ManagedDevice(
                        id: id("managed-device", deviceKey), deviceName: device.name, userId: userId,
                        userPrincipalName: user.userPrincipalName,
                        operatingSystem: device.os, osVersion: device.osVersion ?? "10.0.22631.3296",
                        complianceState: (device.compliant ?? true) ? "compliant" : "noncompliant",
                        managedDeviceOwnerType: device.ownership ?? "company", managementState: "managed",
                        enrolledDateTime: now.addingTimeInterval(-86_400 * 200), lastSyncDateTime: now.addingTimeInterval(-3_600),
                        azureADDeviceId: azureDeviceId, serialNumber: String(id("serial", deviceKey).prefix(10)).uppercased(),
                        model: device.model ?? "Surface Laptop 5", manufacturer: device.manufacturer ?? "Microsoft Corporation"))
            }
        }
        for (index, appRole) in (spec.appRoles ?? []).enumerated() {
            guard let resource = data.servicePrincipals.first(where: { $0.displayName == appRole.app }) else {
                throw FixtureError(message: "\(place).appRoles[\(index)].app: no enterprise app '\(appRole.app)'")
            }
            let role = resource.appRoles.first { $0.value == (appRole.role ?? "User") }
            data.appRoleAssignments.append(
                AppRoleAssignment(
                    id: id("app-role-assignment", "\(spec.key)/\(index)"), appRoleId: role?.id ?? "00000000-0000-0000-0000-000000000000",
                    principalId: userId, principalDisplayName: user.displayName, principalType: "User", resourceId: resource.id,
                    resourceDisplayName: resource.displayName, createdDateTime: now.addingTimeInterval(-86_400 * 90)))
        }
        for (index, consent) in (spec.consents ?? []).enumerated() {
            guard let client = data.servicePrincipals.first(where: { $0.displayName == consent.app }) else {
                throw FixtureError(message: "\(place).consents[\(index)].app: no enterprise app '\(consent.app)'")
            }
            let graph = data.servicePrincipals.first { $0.appId == Catalog.microsoftGraph.appId }!
            data.oauth2Grants.append(
                OAuth2Grant(
                    id: id("grant", "\(spec.key)/\(index)"), clientId: client.id, consentType: "Principal", principalId: userId,
                    resourceId: graph.id, scope: consent.scope))
        }
        for appName in spec.ownsApps ?? [] {
            guard let sp = data.servicePrincipals.first(where: { $0.displayName == appName }) else {
                throw FixtureError(message: "\(place).ownsApps: no enterprise app '\(appName)'")
            }
            data.ownedApplications[userId, default: []].append(sp.id)
        }
    }

    private mutating func addMailbox(_ spec: TenantFixture.User, user: DirectoryUser, at place: String) throws {
        let ownerId = user.id
        var user = user
        if user.mail == nil {
            // A mailbox that arrives through a group licence gets its address here.
            user.mail = user.userPrincipalName
            user.proxyAddresses = ["SMTP:\(user.userPrincipalName)", "smtp:\(user.mailNickname)@\(initialDomain)"]
            data.insert(user)
        }
        let box = spec.mailbox ?? TenantFixture.MailboxSpec()
        let type: MailboxType
        switch box.type ?? "user" {
        case "user": type = .user
        case "shared": type = .shared
        case "room": type = .room
        case "equipment": type = .equipment
        default: throw FixtureError(message: "\(place).mailbox.type: '\(box.type ?? "")' is not user, shared, room or equipment")
        }
        let mailboxAddress = user.mail ?? user.userPrincipalName
        let sizeBytes = Int64((box.sizeGB ?? 2.4) * 1_073_741_824)
        var mailbox = Mailbox(
            userId: ownerId, exchangeGuid: id("exchange-guid", spec.key), alias: box.alias ?? user.mailNickname,
            displayName: user.displayName,
            primarySmtpAddress: mailboxAddress, type: type, totalItemSizeBytes: sizeBytes, itemCount: box.items ?? Int(sizeBytes / 75_000))
        if let archive = box.archiveGB {
            mailbox.archiveEnabled = true
            mailbox.archiveSizeBytes = Int64(archive * 1_073_741_824)
        }
        if box.litigationHold == true {
            mailbox.litigationHoldEnabled = true
            mailbox.litigationHoldDate = now.addingTimeInterval(-86_400 * 60)
            mailbox.litigationHoldOwner = "admin@\(initialDomain)"
        }
        mailbox.inPlaceHolds = box.holds ?? []
        if let forward = box.forwardTo { mailbox.forwardingAddress = try principalId(forward, at: "\(place).mailbox.forwardTo") }
        if let smtp = box.forwardSmtp { mailbox.forwardingSmtpAddress = "smtp:\(smtp)" }
        mailbox.deliverToMailboxAndForward = box.keepCopy ?? false
        mailbox.hiddenFromAddressListsEnabled = box.hidden ?? false
        mailbox.grantSendOnBehalfTo = try (box.sendOnBehalf ?? []).map { try userId($0, at: "\(place).mailbox.sendOnBehalf") }
        mailbox.fullAccess = try (box.fullAccess ?? []).map {
            MailboxPermissionGrant(
                trusteeId: try principalId($0.user, at: "\(place).mailbox.fullAccess"), autoMapping: $0.autoMapping ?? true)
        }
        mailbox.sendAs = try (box.sendAs ?? []).map { try principalId($0, at: "\(place).mailbox.sendAs") }
        var rules = [
            InboxRule(id: id("rule", "\(spec.key)/junk"), name: "Junk E-Mail Rule", enabled: true, priority: 0, hidden: true)
        ]
        for (index, rule) in (box.rules ?? []).enumerated() {
            rules.append(
                InboxRule(
                    id: id("rule", "\(spec.key)/\(index)"), name: rule.name, enabled: rule.enabled ?? true, priority: index + 1,
                    forwardTo: try (rule.forwardTo ?? []).map { try self.address(for: $0, at: "\(place).mailbox.rules[\(index)]") },
                    redirectTo: try (rule.redirectTo ?? []).map { try self.address(for: $0, at: "\(place).mailbox.rules[\(index)]") },
                    forwardAsAttachmentTo: try (rule.forwardAsAttachmentTo ?? []).map {
                        try self.address(for: $0, at: "\(place).mailbox.rules[\(index)]")
                    },
                    moveToFolder: rule.moveTo, deleteMessage: rule.delete ?? false, fromContains: rule.from ?? [],
                    subjectContains: rule.subject ?? [], hidden: rule.hidden ?? false))
        }
        mailbox.inboxRules = rules
        for (index, meeting) in (box.meetings ?? []).enumerated() {
            let start = try time(meeting.start, at: "\(place).mailbox.meetings[\(index)].start")!
            let attendees = try (meeting.attendees ?? []).map { key -> CalendarAttendee in
                let attendeeAddress = try self.address(for: key, at: "\(place).mailbox.meetings[\(index)].attendees")
                return CalendarAttendee(
                    address: attendeeAddress, name: userIds[key].flatMap { data.users[$0]?.displayName } ?? attendeeAddress)
            }
            let organizerAddress =
                try meeting.organizer.map { try self.address(for: $0, at: "\(place).mailbox.meetings[\(index)].organizer") }
                ?? mailboxAddress
            mailbox.events.append(
                CalendarEvent(
                    id: "AAMk" + id("event", "\(spec.key)/\(index)").replacingOccurrences(of: "-", with: ""), subject: meeting.subject,
                    start: start, end: start.addingTimeInterval((meeting.hours ?? 1) * 3_600), isOrganizer: meeting.organizer == nil,
                    organizerAddress: organizerAddress,
                    organizerName: meeting.organizer.flatMap { userIds[$0] }.flatMap { data.users[$0]?.displayName } ?? user.displayName,
                    attendees: attendees, isRecurringSeries: meeting.recurring ?? false))
        }
        mailbox.calendarPermissions = [FolderPermission(principal: "Default", accessRights: ["AvailabilityOnly"])]
        for grant in box.calendarPermissions ?? [] {
            let principal =
                grant.user == "Default" || grant.user == "Anonymous"
                ? grant.user : try userId(grant.user, at: "\(place).mailbox.calendarPermissions")
            mailbox.calendarPermissions.append(FolderPermission(principal: principal, accessRights: grant.rights))
        }
        if let zone = box.timeZone { mailbox.timeZone = zone }
        if let reply = box.autoReply {
            mailbox.autoReply = AutoReplyConfiguration(
                state: reply.state, internalMessage: reply.internalMessage ?? "", externalMessage: reply.externalMessage ?? "",
                externalAudience: reply.externalAudience ?? "All")
        }
        for (index, device) in (box.mobileDevices ?? []).enumerated() {
            let deviceId = String(id("eas", "\(spec.key)/\(index)").replacingOccurrences(of: "-", with: "").prefix(32)).uppercased()
            mailbox.mobileDevices.append(
                MobileDevice(
                    id: id("mobile-device", "\(spec.key)/\(index)"), deviceId: deviceId,
                    deviceType: device.type ?? (device.os.hasPrefix("iOS") ? "iPhone" : "Android"),
                    deviceModel: device.model, deviceOS: device.os, friendlyName: device.model,
                    firstSyncTime: now.addingTimeInterval(-86_400 * 120), lastSyncTime: now.addingTimeInterval(-1_800)))
        }
        data.mailboxes[ownerId] = mailbox
    }

    /// A fixture address is a user or group key, or a literal e-mail address.
    private func address(for key: String, at place: String) throws -> String {
        if key.contains("@") { return key }
        if let id = userIds[key] { return data.users[id]?.mail ?? data.users[id]?.userPrincipalName ?? key }
        if let id = groupIds[key], let mail = data.groups[id]?.mail { return mail }
        throw FixtureError(message: "\(place): '\(key)' is neither an address nor a user or group key")
    }
}
