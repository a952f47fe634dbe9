import Foundation

extension GraphHandlers {
    static let users: [String: GraphHandler] = [
        "GET /users": { call in
            try call.read { data in
                try requireSignInActivityAccess(call, data: data)
                let items = data.orderedUsers.map { GraphRender.user($0, in: data) }
                return try call.collection(
                    items, type: "microsoft.graph.user", context: "users", defaults: GraphRender.defaultUserProperties)
            }
        },
        "POST /users": createUser,
        "GET /users/{user-id}": { call in
            try call.read { data in
                try requireSignInActivityAccess(call, data: data)
                let user = try call.user(in: data)
                var object = try call.select(
                    GraphRender.user(user, in: data), type: "microsoft.graph.user", defaults: GraphRender.defaultUserProperties)
                for expansion in call.query.expand {
                    guard expansion.property.lowercased() == "manager" else {
                        throw GraphError.badRequest(
                            "Parsing OData Select and Expand failed: Could not find a property named '\(expansion.property)' on type 'microsoft.graph.user'."
                        )
                    }
                    if let managerId = user.managerId, let manager = data.users[managerId] {
                        var rendered = GraphRender.user(manager, in: data)
                        if let fields = expansion.select {
                            var subset = JSONObject([("@odata.type", "#microsoft.graph.user")])
                            for field in fields { subset[field] = rendered[rendered.caseInsensitiveKey(field) ?? field] ?? .null }
                            rendered = subset
                        } else {
                            rendered = GraphRender.typed(rendered, "user").objectValue ?? rendered
                        }
                        object["manager"] = .object(rendered)
                    }
                }
                var body = JSONObject([
                    (
                        "@odata.context",
                        call.context(call.query.select.map { "users(\($0.joined(separator: ",")))/$entity" } ?? "users/$entity")
                    )
                ])
                for (key, value) in object { body[key] = value }
                return .ok(.object(body))
            }
        },
        "PATCH /users/{user-id}": updateUser,
        "DELETE /users/{user-id}": { call in
            try call.write { data in
                let user = try call.user(in: data)
                try requirePrivilegeForSensitiveChange(call, target: user, data: data)
                data.deleteUser(user.id, now: call.now)
                return .noContent
            }
        },
        "GET /users/delta()": delta,
        "POST /users/{user-id}/revokeSignInSessions": { call in
            try call.write { data in
                let user = try call.user(in: data)
                data.updateUser(user.id) { $0.signInSessionsValidFromDateTime = call.now }
                return .ok(["@odata.context": call.context("Edm.Boolean"), "value": true])
            }
        },
        "POST /users/{user-id}/assignLicense": assignLicense,
        "GET /users/{user-id}/licenseDetails": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.assignedLicenses(of: user.id).compactMap { data.sku(id: $0.skuId) }.map {
                    GraphRender.licenseDetails($0, userId: user.id)
                }
                return try call.collection(
                    items, type: "microsoft.graph.licenseDetails", context: "users('\(user.id)')/licenseDetails", pageable: false)
            }
        },
        "GET /users/{user-id}/manager": { call in
            try call.read { data in
                let user = try call.user(in: data)
                guard let managerId = user.managerId, let manager = data.users[managerId] else { throw GraphError.notFound("manager") }
                let typed = GraphRender.typed(GraphRender.user(manager, in: data), "user").objectValue!
                return try call.entity(typed, type: "microsoft.graph.user", context: "directoryObjects/$entity")
            }
        },
        "PUT /users/{user-id}/manager/$ref": { call in
            let managerId = try call.referencedId()
            return try call.write { data in
                let user = try call.user(in: data)
                guard let manager = data.user(forKey: managerId) else { throw GraphError.notFound(managerId) }
                guard manager.id != user.id else { throw GraphError.badRequest("A user cannot be their own manager.") }
                try rejectSyncedChange(user, property: "manager")
                data.updateUser(user.id) { $0.managerId = manager.id }
                return .noContent
            }
        },
        "DELETE /users/{user-id}/manager/$ref": { call in
            try call.write { data in
                let user = try call.user(in: data)
                guard user.managerId != nil else { throw GraphError.notFound("manager") }
                try rejectSyncedChange(user, property: "manager")
                data.updateUser(user.id) { $0.managerId = nil }
                return .noContent
            }
        },
        "GET /users/{user-id}/directReports": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.directReports(of: user.id).map { GraphRender.typed(GraphRender.user($0, in: data), "user").objectValue! }
                return try call.collection(items, type: "microsoft.graph.directoryObject", context: "directoryObjects")
            }
        },
    ]

    /// Attributes Entra Connect owns for a synced user; cloud writes are refused.
    static let syncMasteredProperties: Set<String> = [
        "displayname", "givenname", "surname", "jobtitle", "department", "officelocation", "mail", "mailnickname", "userprincipalname",
        "businessphones", "mobilephone", "companyname", "employeeid", "onpremisesimmutableid", "streetaddress", "city", "state",
        "country", "postalcode", "manager",
    ]

    static func rejectSyncedChange(_ user: DirectoryUser, property: String) throws {
        if user.isSynced, syncMasteredProperties.contains(property.lowercased()) {
            throw GraphError.badRequest(
                "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."
            )
        }
    }

    static let sensitiveProperties: Set<String> = [
        "accountenabled", "passwordprofile", "mobilephone", "businessphones", "otheremails", "othermails", "userprincipalname",
    ]

    /// Changing sensitive properties of an admin needs the app to hold a privileged Entra role.
    /// Refuses a licence set in which a service plan lacks the plan it depends on, as Graph does:
    /// "License assignment failed because service plan {id} depends on the service plan(s) {ids}".
    static func requireDependencies(direct: [AssignedLicense], userId: String, data: TenantData) throws {
        let fromGroups = data.effectiveLicenses(of: userId).filter { $0.assignedByGroup != nil }.map(\.license)
        let plans = Set((direct + fromGroups).compactMap { data.sku(id: $0.skuId) }.flatMap(\.servicePlans).map(\.servicePlanName))
        for plan in plans.sorted() {
            guard let required = Catalog.planDependencies[plan], !required.contains(where: plans.contains) else { continue }
            throw GraphError.badRequest(
                "License assignment failed because service plan \(Catalog.plans[plan] ?? plan) depends on the service plan(s) \(required.compactMap { Catalog.plans[$0] }.joined(separator: ","))."
            )
        }
    }

    /// `signInActivity` needs `AuditLog.Read.All` and an Entra ID P1 or P2 licence in the tenant;
    /// without either Graph refuses the whole request with 403.
    static func requireSignInActivityAccess(_ call: GraphCall, data: TenantData) throws {
        guard call.query.select?.contains(where: { $0.caseInsensitiveCompare("signInActivity") == .orderedSame }) == true else { return }
        guard call.claims.roles.contains("AuditLog.Read.All") else { throw GraphError.denied }
        let premium = data.skus.contains { sku in
            sku.servicePlans.contains { $0.servicePlanName == "AAD_PREMIUM" || $0.servicePlanName == "AAD_PREMIUM_P2" }
        }
        guard premium else {
            throw GraphError(
                status: 403, code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                message: "Neither tenant is B2C or tenant doesn't have premium license")
        }
    }

    static func requirePrivilegeForSensitiveChange(_ call: GraphCall, target: DirectoryUser, data: TenantData) throws {
        let targetIsAdmin = data.effectiveRoleAssignments(of: target.id).contains { assignment in
            data.role(id: assignment.roleDefinitionId)?.isPrivileged == true
        }
        guard targetIsAdmin else { return }
        let appRoles = Set(
            data.roleAssignments(of: call.app.servicePrincipalId).compactMap { data.role(id: $0.roleDefinitionId)?.displayName })
        if appRoles.isDisjoint(with: Catalog.privilegedAuthenticationRoles) { throw GraphError.denied }
    }

    static func appHasRole(_ call: GraphCall, in data: TenantData, anyOf names: Set<String>) -> Bool {
        data.roleAssignments(of: call.app.servicePrincipalId).contains {
            names.contains(data.role(id: $0.roleDefinitionId)?.displayName ?? "")
        }
    }

    /// Granular permissions cover only their own properties.
    static func checkPropertyScope(_ call: GraphCall, properties: [String]) throws {
        let granted = Set(call.claims.roles)
        let broad: Set<String> = [
            "User.ReadWrite.All", "Directory.ReadWrite.All", "User.ReadWrite.CrossCloud", "AgentIdUser.ReadWrite.All",
        ]
        if !granted.isDisjoint(with: broad) { return }
        let scopes: [String: Set<String>] = [
            "User.EnableDisableAccount.All": ["accountenabled"],
            "User-PasswordProfile.ReadWrite.All": ["passwordprofile", "passwordpolicies"],
            "User-Mail.ReadWrite.All": ["mail", "othermails"],
            "User-Phone.ReadWrite.All": ["businessphones", "mobilephone"],
            "User.ManageIdentities.All": ["identities"],
        ]
        let allowed = granted.reduce(into: Set<String>()) { result, permission in result.formUnion(scopes[permission] ?? []) }
        for property in properties where !allowed.contains(property.lowercased()) {
            throw GraphError.denied
        }
    }

    static func validatePassword(_ password: String, for user: DirectoryUser) throws {
        let categories = [
            password.contains { $0.isUppercase }, password.contains { $0.isLowercase }, password.contains { $0.isNumber },
            password.contains { !$0.isLetter && !$0.isNumber },
        ].filter { $0 }.count
        let nameParts = [user.givenName, user.surname, user.mailNickname].compactMap { $0?.lowercased() }.filter { $0.count >= 3 }
        let containsName = nameParts.contains { password.lowercased().contains($0) }
        guard password.count >= 8, password.count <= 256, categories >= 3, !containsName else {
            throw GraphError.badRequest(
                "The specified password does not comply with password complexity requirements. Please provide a different password.")
        }
    }

    static let updateUser: GraphHandler = { call in
        guard let body = call.body?.objectValue else { throw GraphError.badRequest("Empty Payload. JSON content expected.") }
        let properties = body.keys.filter { !$0.contains("@") }
        try checkPropertyScope(call, properties: properties)
        return try call.write { data in
            let user = try call.user(in: data)
            try requirePrivilegeForSensitiveChange(call, target: user, data: data)
            for property in properties where property.lowercased() != "passwordprofile" {
                try rejectSyncedChange(user, property: property)
            }
            var updated = user
            for (key, value) in body {
                switch key.lowercased() {
                case "accountenabled": updated.accountEnabled = value.boolValue ?? updated.accountEnabled
                case "displayname":
                    guard let name = value.stringValue, !name.isEmpty else {
                        throw GraphError.badRequest("Invalid value specified for property 'displayName' of resource 'User'.")
                    }
                    updated.displayName = name
                case "givenname": updated.givenName = value.stringValue
                case "surname": updated.surname = value.stringValue
                case "jobtitle": updated.jobTitle = value.stringValue
                case "department": updated.department = value.stringValue
                case "officelocation": updated.officeLocation = value.stringValue
                case "mobilephone": updated.mobilePhone = value.stringValue
                case "businessphones": updated.businessPhones = value.arrayValue?.compactMap(\.stringValue) ?? []
                case "companyname": updated.companyName = value.stringValue
                case "employeeid": updated.employeeId = value.stringValue
                case "usagelocation":
                    guard value.isNull || (value.stringValue?.count == 2) else {
                        throw GraphError.badRequest("Invalid value specified for property 'usageLocation' of resource 'User'.")
                    }
                    updated.usageLocation = value.stringValue
                case "preferredlanguage": updated.preferredLanguage = value.stringValue
                case "othermails": updated.otherMails = value.arrayValue?.compactMap(\.stringValue) ?? []
                case "mail": updated.mail = value.stringValue
                case "passwordpolicies": updated.passwordPolicies = value.stringValue
                case "employeeleavedatetime":
                    // Lifecycle dates have their own permission, beyond User.ReadWrite.All.
                    guard call.app.graphPermissions.contains("User-LifeCycleInfo.ReadWrite.All") else { throw GraphError.denied }
                    if value == .null {
                        updated.employeeLeaveDateTime = nil
                    } else {
                        guard let text = value.stringValue, let date = try? Date(text, strategy: .iso8601) else {
                            throw GraphError.badRequest("Invalid value specified for property 'employeeLeaveDateTime' of resource 'User'.")
                        }
                        updated.employeeLeaveDateTime = date
                    }
                case "onpremisesimmutableid":
                    if let immutable = value.stringValue, immutable.contains("$") || immutable.contains("_") {
                        throw GraphError.badRequest("Invalid value specified for property 'onPremisesImmutableId' of resource 'User'.")
                    }
                    updated.onPremisesImmutableId = value.stringValue
                case "userprincipalname":
                    guard let upn = value.stringValue, let domain = upn.split(separator: "@").last.map(String.init),
                        data.organization.verifiedDomains.contains(where: { $0.lowercased() == domain.lowercased() })
                    else {
                        throw GraphError.badRequest("Property userPrincipalName is invalid.")
                    }
                    if let existing = data.userId(forKey: upn), existing != user.id {
                        throw GraphError.badRequest("Another object with the same value for property userPrincipalName already exists.")
                    }
                    updated.userPrincipalName = upn
                case "passwordprofile":
                    guard appHasRole(call, in: data, anyOf: Catalog.passwordResetRoles) else { throw GraphError.denied }
                    if user.isSynced, user.onPremises?.passwordWriteback != true {
                        throw GraphError.badRequest(
                            "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."
                        )
                    }
                    if let password = value["password"]?.stringValue {
                        try validatePassword(password, for: user)
                        updated.lastPasswordChangeDateTime = call.now
                    }
                    updated.forceChangePasswordNextSignIn = value["forceChangePasswordNextSignIn"]?.boolValue ?? false
                default:
                    break  // other declared properties are accepted and not modelled
                }
            }
            data.insert(updated)
            return .noContent
        }
    }

    static let createUser: GraphHandler = { call in
        guard let body = call.body?.objectValue else { throw GraphError.badRequest("Empty Payload. JSON content expected.") }
        for required in ["accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"]
        where body[required] == nil {
            throw GraphError.badRequest("Property '\(required)' is required when creating the entity.")
        }
        return try call.write { data in
            let upn = body["userPrincipalName"]?.stringValue ?? ""
            guard let domain = upn.split(separator: "@").last.map(String.init),
                data.organization.verifiedDomains.contains(where: { $0.lowercased() == domain.lowercased() })
            else {
                throw GraphError.badRequest(
                    "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."
                )
            }
            guard data.userId(forKey: upn) == nil else {
                throw GraphError.badRequest("Another object with the same value for property userPrincipalName already exists.")
            }
            let placeholder = DirectoryUser(
                id: "", displayName: "", userPrincipalName: upn, mailNickname: "", accountEnabled: true, createdDateTime: call.now,
                lastPasswordChangeDateTime: call.now, signInSessionsValidFromDateTime: call.now)
            if let password = body["passwordProfile"]?["password"]?.stringValue { try validatePassword(password, for: placeholder) }
            var user = DirectoryUser(
                id: data.newId(), displayName: body["displayName"]?.stringValue ?? "", givenName: body["givenName"]?.stringValue,
                surname: body["surname"]?.stringValue, userPrincipalName: upn, mail: body["mail"]?.stringValue,
                mailNickname: body["mailNickname"]?.stringValue ?? "", accountEnabled: body["accountEnabled"]?.boolValue ?? true,
                jobTitle: body["jobTitle"]?.stringValue, department: body["department"]?.stringValue,
                usageLocation: body["usageLocation"]?.stringValue, createdDateTime: call.now, lastPasswordChangeDateTime: call.now,
                signInSessionsValidFromDateTime: call.now)
            user.authenticationMethods = [
                AuthenticationMethod(id: AuthenticationMethod.passwordMethodId, kind: .password, createdDateTime: call.now)
            ]
            user.forceChangePasswordNextSignIn = body["passwordProfile"]?["forceChangePasswordNextSignIn"]?.boolValue ?? true
            data.insert(user)
            var rendered = JSONObject([("@odata.context", call.context("users/$entity"))])
            for (key, value) in GraphRender.user(user, in: data) { rendered[key] = value }
            return GraphResult(status: 201, body: .object(rendered), headers: [("Location", "\(call.base)/users/\(user.id)")])
        }
    }

    static let assignLicense: GraphHandler = { call in
        guard let body = call.body?.objectValue, let add = body["addLicenses"]?.arrayValue, let remove = body["removeLicenses"]?.arrayValue
        else {
            throw GraphError.badRequest(
                "Invalid value specified for property 'addLicenses' or 'removeLicenses': both are required and cannot be null.")
        }
        return try call.write { data in
            let user = try call.user(in: data)
            var direct = user.directLicenses
            let effective = data.effectiveLicenses(of: user.id)
            for value in remove {
                let skuId = value.stringValue ?? ""
                if let index = direct.firstIndex(where: { $0.skuId.lowercased() == skuId.lowercased() }) {
                    direct.remove(at: index)
                } else if effective.contains(where: { $0.license.skuId.lowercased() == skuId.lowercased() && $0.assignedByGroup != nil }) {
                    throw GraphError.badRequest(
                        "User license is inherited from a group membership and it cannot be removed directly from the user.")
                } else {
                    throw GraphError.badRequest("User does not have a corresponding license.")
                }
            }
            for value in add {
                let skuId = value["skuId"]?.stringValue ?? ""
                guard let sku = data.sku(id: skuId) else {
                    throw GraphError.badRequest("License \(skuId) does not correspond to a valid company License.")
                }
                guard user.usageLocation != nil else {
                    throw GraphError.badRequest("License assignment cannot be done for user with invalid usage location.")
                }
                let disabled = value["disabledPlans"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let alreadyHas = data.assignedLicenses(of: user.id).contains { $0.skuId.lowercased() == sku.skuId.lowercased() }
                if !alreadyHas, data.consumedUnits(of: sku.skuId) >= sku.enabledUnits {
                    throw GraphError.badRequest("Subscription \(sku.skuId) does not have any available licenses.")
                }
                direct.removeAll { $0.skuId.lowercased() == sku.skuId.lowercased() }
                direct.append(AssignedLicense(skuId: sku.skuId, disabledPlans: disabled))
            }
            if !remove.isEmpty { try requireDependencies(direct: direct, userId: user.id, data: data) }
            data.updateUser(user.id) { $0.directLicenses = direct }
            data.licencesChanged(for: [user.id], now: call.now)
            var rendered = JSONObject([("@odata.context", call.context("users/$entity"))])
            for (key, value) in GraphRender.user(data.users[user.id]!, in: data) { rendered[key] = value }
            return .ok(.object(rendered))
        }
    }

    /// `GET /users/delta()`: every user, then only changes since the returned token.
    static let delta: GraphHandler = { call in
        try call.read { data in
            var since: Date?
            if let token = call.query.deltaToken {
                guard let bytes = Base64URL.decode(token), let text = String(bytes: bytes, encoding: .utf8), let seconds = Double(text)
                else {
                    throw GraphError(
                        status: 410, code: "syncStateNotFound",
                        message: "The sync state generation is not found. Re-sync from the beginning.")
                }
                since = Date(timeIntervalSince1970: seconds)
            }
            var items: [JSONValue] = []
            for user in data.orderedUsers where since == nil || (user.lastModified ?? .distantPast) > since! {
                items.append(
                    .object(
                        try call.select(
                            GraphRender.user(user, in: data), type: "microsoft.graph.user", defaults: GraphRender.defaultUserProperties)))
            }
            if let since {
                for (id, deleted) in data.deletedUsers where deleted.deletedDateTime > since {
                    items.append(["id": .string(id), "@removed": ["reason": "changed"]])
                }
            }
            let token = Base64URL.encode(Array(String(call.now.timeIntervalSince1970).utf8))
            return .ok([
                "@odata.context": call.context("users(\(call.query.select?.joined(separator: ",") ?? ""))"),
                "@odata.deltaLink": .string("\(call.base)/users/delta()?$deltatoken=\(token)"),
                "value": .array(items),
            ])
        }
    }
}
