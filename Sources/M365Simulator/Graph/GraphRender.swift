import Foundation

/// Renders simulator entities in Graph's JSON shapes (as in the OpenAPI subset).
enum GraphRender {
    static func date(_ date: Date?) -> JSONValue { date.map { .string(GraphDate.directory($0)) } ?? .null }

    static let defaultUserProperties = [
        "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage",
        "surname", "userPrincipalName", "id",
    ]

    static func user(_ user: DirectoryUser, in data: TenantData) -> JSONObject {
        let licenses = data.effectiveLicenses(of: user.id)
        var object = JSONObject([
            ("id", .string(user.id)),
            ("accountEnabled", .bool(user.accountEnabled)),
            ("assignedLicenses", .array(data.assignedLicenses(of: user.id).map(assignedLicense))),
            ("businessPhones", .strings(user.businessPhones)),
            ("companyName", .optional(user.companyName)),
            ("createdDateTime", date(user.createdDateTime)),
            ("creationType", .optional(user.creationType)),
            ("department", .optional(user.department)),
            ("displayName", .string(user.displayName)),
            ("employeeId", .optional(user.employeeId)),
            ("externalUserState", .optional(user.externalUserState)),
            ("givenName", .optional(user.givenName)),
            ("jobTitle", .optional(user.jobTitle)),
            ("lastPasswordChangeDateTime", date(user.lastPasswordChangeDateTime)),
            (
                "licenseAssignmentStates",
                .array(
                    licenses.map { entry in
                        .object(
                            JSONObject([
                                ("assignedByGroup", .optional(entry.assignedByGroup)),
                                ("disabledPlans", .strings(entry.license.disabledPlans)),
                                ("error", "None"),
                                ("lastUpdatedDateTime", date(user.createdDateTime)),
                                ("skuId", .string(entry.license.skuId)),
                                ("state", "Active"),
                            ]))
                    })
            ),
            ("mail", .optional(user.mail)),
            ("mailNickname", .string(user.mailNickname)),
            ("mobilePhone", .optional(user.mobilePhone)),
            ("officeLocation", .optional(user.officeLocation)),
            ("onPremisesDistinguishedName", .optional(user.onPremises?.distinguishedName)),
            ("onPremisesDomainName", .optional(user.onPremises?.domainName)),
            ("onPremisesImmutableId", .optional(user.onPremisesImmutableId)),
            ("employeeLeaveDateTime", date(user.employeeLeaveDateTime)),
            ("onPremisesLastSyncDateTime", date(user.onPremisesLastSyncDateTime)),
            ("onPremisesSamAccountName", .optional(user.onPremises?.samAccountName)),
            ("onPremisesSecurityIdentifier", .optional(user.onPremises?.securityIdentifier)),
            ("onPremisesSyncEnabled", .optional(user.onPremisesSyncEnabled)),
            ("onPremisesUserPrincipalName", .optional(user.onPremises.map { _ in user.userPrincipalName })),
            ("otherMails", .strings(user.otherMails)),
            ("passwordPolicies", .optional(user.passwordPolicies)),
            ("preferredLanguage", .optional(user.preferredLanguage)),
            ("proxyAddresses", .strings(user.proxyAddresses)),
            ("signInSessionsValidFromDateTime", date(user.signInSessionsValidFromDateTime)),
            ("surname", .optional(user.surname)),
            ("usageLocation", .optional(user.usageLocation)),
            ("userPrincipalName", .string(user.userPrincipalName)),
            ("userType", .string(user.userType)),
        ])
        if let lastSignIn = user.lastSignInDateTime {
            object["signInActivity"] = .object(
                JSONObject([
                    ("lastSignInDateTime", date(lastSignIn)),
                    ("lastSuccessfulSignInDateTime", date(lastSignIn)),
                ]))
        }
        return object
    }

    static func assignedLicense(_ license: AssignedLicense) -> JSONValue {
        ["disabledPlans": .strings(license.disabledPlans), "skuId": .string(license.skuId)]
    }

    static func group(_ group: DirectoryGroup) -> JSONObject {
        JSONObject([
            ("id", .string(group.id)),
            ("assignedLicenses", .array(group.assignedLicenses.map(assignedLicense))),
            ("createdDateTime", date(group.createdDateTime)),
            ("description", .optional(group.description)),
            ("displayName", .string(group.displayName)),
            ("groupTypes", .strings(group.groupTypes)),
            ("isAssignableToRole", .optional(group.isAssignableToRole)),
            ("mail", .optional(group.mail)),
            ("mailEnabled", .bool(group.mailEnabled)),
            ("mailNickname", .string(group.mailNickname)),
            ("membershipRule", .optional(group.membershipRule)),
            ("membershipRuleProcessingState", .optional(group.membershipRuleProcessingState)),
            ("onPremisesSyncEnabled", .optional(group.onPremisesSyncEnabled)),
            ("proxyAddresses", .strings(group.proxyAddresses)),
            ("resourceProvisioningOptions", .strings(group.resourceProvisioningOptions)),
            ("securityEnabled", .bool(group.securityEnabled)),
            ("visibility", .optional(group.visibility)),
        ])
    }

    /// A directory object inside a mixed collection carries its `@odata.type`.
    static func typed(_ object: JSONObject, _ type: String) -> JSONValue {
        var typed = JSONObject([("@odata.type", .string("#microsoft.graph.\(type)"))])
        for (key, value) in object { typed[key] = value }
        return .object(typed)
    }

    static func directoryRole(_ role: RoleDefinition) -> JSONObject {
        JSONObject([
            ("id", .string(role.directoryRoleId)),
            ("deletedDateTime", .null),
            ("description", .string("Members of this role can act as \(role.displayName).")),
            ("displayName", .string(role.displayName)),
            ("roleTemplateId", .string(role.id)),
        ])
    }

    static func roleAssignment(_ assignment: RoleAssignment) -> JSONObject {
        JSONObject([
            ("id", .string(assignment.id)),
            ("directoryScopeId", .string(assignment.directoryScopeId)),
            ("principalId", .string(assignment.principalId)),
            ("roleDefinitionId", .string(assignment.roleDefinitionId)),
        ])
    }

    /// A PIM eligibility as `roleEligibilityScheduleInstances` lists it: permanent (no end) here.
    static func roleEligibility(_ eligibility: RoleAssignment) -> JSONObject {
        JSONObject([
            ("id", .string(eligibility.id)),
            ("principalId", .string(eligibility.principalId)),
            ("roleDefinitionId", .string(eligibility.roleDefinitionId)),
            ("directoryScopeId", .string(eligibility.directoryScopeId)),
            ("appScopeId", .null),
            ("startDateTime", .string("2025-01-01T00:00:00Z")),
            ("endDateTime", .null),
            ("memberType", .string("Direct")),
            ("roleEligibilityScheduleId", .string(eligibility.id)),
        ])
    }

    static func appRoleAssignment(_ assignment: AppRoleAssignment) -> JSONObject {
        JSONObject([
            ("id", .string(assignment.id)),
            ("deletedDateTime", .null),
            ("appRoleId", .string(assignment.appRoleId)),
            ("createdDateTime", date(assignment.createdDateTime)),
            ("principalDisplayName", .string(assignment.principalDisplayName)),
            ("principalId", .string(assignment.principalId)),
            ("principalType", .string(assignment.principalType)),
            ("resourceDisplayName", .string(assignment.resourceDisplayName)),
            ("resourceId", .string(assignment.resourceId)),
        ])
    }

    static func grant(_ grant: OAuth2Grant) -> JSONObject {
        JSONObject([
            ("id", .string(grant.id)),
            ("clientId", .string(grant.clientId)),
            ("consentType", .string(grant.consentType)),
            ("principalId", .optional(grant.principalId)),
            ("resourceId", .string(grant.resourceId)),
            ("scope", .string(grant.scope)),
        ])
    }

    static func servicePrincipal(_ principal: ServicePrincipal) -> JSONObject {
        JSONObject([
            ("id", .string(principal.id)),
            ("appId", .string(principal.appId)),
            ("appDisplayName", .string(principal.displayName)),
            ("displayName", .string(principal.displayName)),
            ("servicePrincipalType", "Application"),
        ])
    }

    static func authenticationMethod(_ method: AuthenticationMethod) -> JSONObject {
        var object = JSONObject([("@odata.type", .string(method.kind.odataType)), ("id", .string(method.id))])
        switch method.kind {
        case .password:
            object["createdDateTime"] = date(method.createdDateTime)
        case .phone:
            object["phoneNumber"] = .optional(method.phoneNumber)
            object["phoneType"] = .optional(method.phoneType)
            object["smsSignInState"] = "notConfigured"
        case .microsoftAuthenticator:
            object["createdDateTime"] = date(method.createdDateTime)
            object["displayName"] = .optional(method.displayName)
            object["deviceTag"] = "SoftwareTokenActivated"
            object["phoneAppVersion"] = "6.8.8"
        case .fido2:
            object["createdDateTime"] = date(method.createdDateTime)
            object["displayName"] = .optional(method.displayName)
            object["model"] = .optional(method.displayName)
            object["aaGuid"] = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
            object["attestationLevel"] = "attested"
        case .softwareOath:
            object["secretKey"] = .null
        case .email:
            object["emailAddress"] = .optional(method.emailAddress)
        case .temporaryAccessPass:
            object["createdDateTime"] = date(method.createdDateTime)
            object["isUsable"] = .bool(true)
            object["isUsableOnce"] = .bool(true)
            object["lifetimeInMinutes"] = .int(60)
            object["methodUsabilityReason"] = "EnabledByPolicy"
            object["startDateTime"] = date(method.createdDateTime)
            object["temporaryAccessPass"] = .null
        case .windowsHelloForBusiness:
            object["createdDateTime"] = date(method.createdDateTime)
            object["displayName"] = .optional(method.displayName)
            object["keyStrength"] = "normal"
        }
        return object
    }

    static func recipients(_ addresses: [String], names: (String) -> String) -> JSONValue {
        .array(addresses.map { ["emailAddress": ["name": .string(names($0)), "address": .string($0)]] })
    }

    static func messageRule(_ rule: InboxRule, names: (String) -> String) -> JSONObject {
        var actions = JSONObject([("stopProcessingRules", .bool(true))])
        if !rule.forwardTo.isEmpty { actions["forwardTo"] = recipients(rule.forwardTo, names: names) }
        if !rule.redirectTo.isEmpty { actions["redirectTo"] = recipients(rule.redirectTo, names: names) }
        if !rule.forwardAsAttachmentTo.isEmpty { actions["forwardAsAttachmentTo"] = recipients(rule.forwardAsAttachmentTo, names: names) }
        if let folder = rule.moveToFolder { actions["moveToFolder"] = .string(folder) }
        if rule.deleteMessage { actions["delete"] = .bool(true) }
        var conditions = JSONObject()
        if !rule.fromContains.isEmpty { conditions["senderContains"] = .strings(rule.fromContains) }
        if !rule.subjectContains.isEmpty { conditions["subjectContains"] = .strings(rule.subjectContains) }
        return JSONObject([
            ("id", .string(rule.id)),
            ("displayName", .string(rule.name)),
            ("sequence", .int(Int64(rule.priority))),
            ("isEnabled", .bool(rule.enabled)),
            ("hasError", .bool(false)),
            ("isReadOnly", .bool(false)),
            ("conditions", .object(conditions)),
            ("actions", .object(actions)),
        ])
    }

    static func dateTimeTimeZone(_ date: Date) -> JSONValue {
        ["dateTime": .string(GraphDate.outlook(date)), "timeZone": "UTC"]
    }

    static func event(_ event: CalendarEvent) -> JSONObject {
        JSONObject([
            ("id", .string(event.id)),
            ("subject", .string(event.subject)),
            ("isOrganizer", .bool(event.isOrganizer)),
            ("isCancelled", .bool(event.isCancelled)),
            ("type", .string(event.isRecurringSeries ? "seriesMaster" : "singleInstance")),
            ("start", dateTimeTimeZone(event.start)),
            ("end", dateTimeTimeZone(event.end)),
            ("organizer", ["emailAddress": ["name": .string(event.organizerName), "address": .string(event.organizerAddress)]]),
            (
                "attendees",
                .array(
                    event.attendees.map {
                        [
                            "type": .string($0.type), "status": ["response": "none", "time": "0001-01-01T00:00:00Z"],
                            "emailAddress": ["name": .string($0.name), "address": .string($0.address)],
                        ]
                    })
            ),
            ("location", ["displayName": .string(event.location ?? "")]),
        ])
    }

    static func automaticReplies(_ reply: AutoReplyConfiguration) -> JSONObject {
        let status: String
        switch reply.state.lowercased() {
        case "enabled": status = "alwaysEnabled"
        case "scheduled": status = "scheduled"
        default: status = "disabled"
        }
        let audience: String
        switch reply.externalAudience.lowercased() {
        case "none": audience = "none"
        case "known": audience = "contactsOnly"
        default: audience = "all"
        }
        var object = JSONObject([
            ("status", .string(status)),
            ("externalAudience", .string(audience)),
            ("internalReplyMessage", .string(reply.internalMessage)),
            ("externalReplyMessage", .string(reply.externalMessage)),
        ])
        if let start = reply.startTime { object["scheduledStartDateTime"] = dateTimeTimeZone(start) }
        if let end = reply.endTime { object["scheduledEndDateTime"] = dateTimeTimeZone(end) }
        return object
    }

    static func managedDevice(_ device: ManagedDevice) -> JSONObject {
        JSONObject([
            ("id", .string(device.id)),
            ("deviceName", .string(device.deviceName)),
            ("userId", .string(device.userId)),
            ("userPrincipalName", .string(device.userPrincipalName)),
            ("operatingSystem", .string(device.operatingSystem)),
            ("osVersion", .string(device.osVersion)),
            ("complianceState", .string(device.complianceState)),
            ("managedDeviceOwnerType", .string(device.managedDeviceOwnerType)),
            ("managementState", .string(device.managementState)),
            ("enrolledDateTime", date(device.enrolledDateTime)),
            ("lastSyncDateTime", date(device.lastSyncDateTime)),
            ("azureADDeviceId", .string(device.azureADDeviceId)),
            ("serialNumber", .string(device.serialNumber)),
            ("model", .string(device.model)),
            ("manufacturer", .string(device.manufacturer)),
            (
                "deviceActionResults",
                .array(
                    [
                        device.wipeRequested.map { request -> JSONValue in
                            [
                                "actionName": "wipe", "actionState": "pending", "startDateTime": date(request.requestedAt),
                                "lastUpdatedDateTime": date(request.requestedAt),
                            ]
                        },
                        device.retireRequested.map { at -> JSONValue in
                            ["actionName": "retire", "actionState": "pending", "startDateTime": date(at), "lastUpdatedDateTime": date(at)]
                        },
                    ].compactMap { $0 })
            ),
        ])
    }

    static func device(_ device: EntraDevice) -> JSONObject {
        JSONObject([
            ("id", .string(device.id)),
            ("accountEnabled", .bool(device.accountEnabled)),
            ("approximateLastSignInDateTime", date(device.approximateLastSignInDateTime)),
            ("deviceId", .string(device.deviceId)),
            ("displayName", .string(device.displayName)),
            ("isCompliant", .bool(device.isCompliant)),
            ("isManaged", .bool(device.isManaged)),
            ("operatingSystem", .string(device.operatingSystem)),
            ("operatingSystemVersion", .string(device.operatingSystemVersion)),
            ("trustType", .string(device.trustType)),
        ])
    }

    static func drive(_ site: OneDriveSite, owner: DirectoryUser, tenantId: String) -> JSONObject {
        JSONObject([
            ("id", .string(site.driveId)),
            ("driveType", "business"),
            ("name", "OneDrive"),
            ("webUrl", .string(site.siteUrl + "/Documents")),
            ("createdDateTime", date(owner.createdDateTime)),
            ("owner", ["user": ["id": .string(owner.id), "displayName": .string(owner.displayName)]]),
            (
                "quota",
                [
                    "deleted": 0, "remaining": .int(site.quotaTotalBytes - site.quotaUsedBytes), "state": "normal",
                    "total": .int(site.quotaTotalBytes), "used": .int(site.quotaUsedBytes),
                ]
            ),
            ("sharePointIds", sharePointIds(site, tenantId: tenantId)),
        ])
    }

    static func sharePointIds(_ site: OneDriveSite, tenantId: String) -> JSONValue {
        ["siteId": .string(site.siteId), "siteUrl": .string(site.siteUrl), "tenantId": .string(tenantId), "webId": .string(site.webId)]
    }

    static func driveRoot(_ site: OneDriveSite, tenantId: String) -> JSONObject {
        JSONObject([
            ("id", "01ROOTITEM0000000000000000000000000"),
            ("name", "root"),
            ("webUrl", .string(site.siteUrl + "/Documents")),
            ("root", .object(JSONObject())),
            ("folder", ["childCount": 12]),
            ("size", .int(site.quotaUsedBytes)),
            ("sharepointIds", sharePointIds(site, tenantId: tenantId)),
        ])
    }

    static func permission(_ grant: OneDriveSite.DriveSharingGrant) -> JSONObject {
        JSONObject([
            ("id", .string(grant.id)),
            ("roles", .strings(grant.roles)),
            ("grantedTo", ["user": ["displayName": .string(grant.email), "email": .string(grant.email)]]),
            ("invitation", ["email": .string(grant.email), "signInRequired": true]),
        ])
    }

    static func subscribedSku(_ sku: SubscribedSku, consumed: Int, tenantId: String) -> JSONObject {
        JSONObject([
            ("id", .string("\(tenantId)_\(sku.skuId)")),
            ("accountId", .string(tenantId)),
            ("appliesTo", "User"),
            ("capabilityStatus", "Enabled"),
            ("consumedUnits", .int(Int64(consumed))),
            (
                "prepaidUnits",
                [
                    "enabled": .int(Int64(sku.enabledUnits)), "lockedOut": 0, "suspended": .int(Int64(sku.suspendedUnits)),
                    "warning": .int(Int64(sku.warningUnits)),
                ]
            ),
            ("servicePlans", .array(sku.servicePlans.map(servicePlan))),
            ("skuId", .string(sku.skuId)),
            ("skuPartNumber", .string(sku.skuPartNumber)),
        ])
    }

    static func servicePlan(_ plan: ServicePlan) -> JSONValue {
        [
            "servicePlanId": .string(plan.servicePlanId), "servicePlanName": .string(plan.servicePlanName),
            "provisioningStatus": "Success", "appliesTo": .string(plan.appliesTo),
        ]
    }

    static func organization(_ organization: Organization) -> JSONObject {
        JSONObject([
            ("id", .string(organization.id)),
            ("displayName", .string(organization.displayName)),
            ("countryLetterCode", .string(organization.countryLetterCode)),
            ("createdDateTime", date(organization.createdDateTime)),
            ("onPremisesSyncEnabled", .bool(organization.onPremisesSyncEnabled)),
            ("tenantType", "AAD"),
            (
                "verifiedDomains",
                .array(
                    organization.verifiedDomains.map { domain in
                        [
                            "name": .string(domain), "isInitial": .bool(domain == organization.initialDomain),
                            "isDefault": .bool(domain == (organization.verifiedDomains.last ?? domain)),
                            "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline",
                        ]
                    })
            ),
        ])
    }

    static func domain(_ name: String, organization: Organization) -> JSONObject {
        JSONObject([
            ("id", .string(name)),
            ("authenticationType", "Managed"),
            ("isAdminManaged", true),
            ("isDefault", .bool(name == (organization.verifiedDomains.last ?? name))),
            ("isInitial", .bool(name == organization.initialDomain)),
            ("isRoot", true),
            ("isVerified", true),
            ("supportedServices", ["Email", "OfficeCommunicationsOnline"]),
        ])
    }

    static func signIn(_ record: SignInRecord) -> JSONObject {
        JSONObject([
            ("id", .string(record.id)),
            ("createdDateTime", date(record.createdDateTime)),
            ("userId", .string(record.userId)),
            ("userPrincipalName", .string(record.userPrincipalName)),
            ("userDisplayName", .string(record.userDisplayName)),
            ("appDisplayName", .string(record.appDisplayName)),
            ("clientAppUsed", .string(record.clientAppUsed)),
            ("ipAddress", .string(record.ipAddress)),
            ("isInteractive", true),
            ("status", ["errorCode": .int(Int64(record.errorCode))]),
        ])
    }

    static func licenseDetails(_ sku: SubscribedSku, userId: String) -> JSONObject {
        JSONObject([
            ("id", .string(Base64URL.encode(Array("\(userId)/\(sku.skuId)".utf8)))),
            ("skuId", .string(sku.skuId)),
            ("skuPartNumber", .string(sku.skuPartNumber)),
            ("servicePlans", .array(sku.servicePlans.map(servicePlan))),
        ])
    }
}
