import Foundation

extension GraphHandlers {
    static func castFilter(_ call: GraphCall, _ items: [JSONValue]) -> [JSONObject] {
        let objects = items.compactMap(\.objectValue)
        guard let cast = call.cast?.lowercased() else { return objects }
        return objects.filter { $0["@odata.type"]?.stringValue?.lowercased() == "#" + cast }
    }

    static func contextName(_ call: GraphCall) -> String {
        guard let cast = call.cast else { return "directoryObjects" }
        return String(cast.split(separator: ".").last ?? "directoryObjects") + "s"
    }

    static let userRelations: [String: GraphHandler] = [
        "GET /users/{user-id}/memberOf": { call in
            try call.read { data in
                let user = try call.user(in: data)
                var items = data.groupsWithMember(user.id).map { GraphRender.typed(GraphRender.group($0), "group") }
                for assignment in data.roleAssignments(of: user.id) {
                    if let role = data.role(id: assignment.roleDefinitionId) {
                        items.append(GraphRender.typed(GraphRender.directoryRole(role), "directoryRole"))
                    }
                }
                return try call.collection(castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call))
            }
        },
        "GET /users/{user-id}/transitiveMemberOf": { call in
            try call.read { data in
                let user = try call.user(in: data)
                var items = data.transitiveGroups(of: user.id).map { GraphRender.typed(GraphRender.group($0), "group") }
                var seenRoles: Set<String> = []
                for assignment in data.effectiveRoleAssignments(of: user.id) where seenRoles.insert(assignment.roleDefinitionId).inserted {
                    if let role = data.role(id: assignment.roleDefinitionId) {
                        items.append(GraphRender.typed(GraphRender.directoryRole(role), "directoryRole"))
                    }
                }
                return try call.collection(castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call))
            }
        },
        "GET /users/{user-id}/ownedObjects": { call in
            try call.read { data in
                let user = try call.user(in: data)
                var items = data.groupsOwnedBy(user.id).map { GraphRender.typed(GraphRender.group($0), "group") }
                for id in data.ownedApplications[user.id] ?? [] { if let object = data.directoryObject(id) { items.append(object) } }
                // Groups document `$expand=owners` (with a nested `$select`); it saves a request per owned group.
                let owners: GraphCall.Expander = { item in
                    guard let id = item["id"]?.stringValue, let group = data.groups[id] else { return .array([]) }
                    return .array(group.owners.compactMap { data.directoryObject($0) })
                }
                return try call.collection(
                    castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call),
                    expansions: ["owners": owners])
            }
        },
        "GET /users/{user-id}/ownedDevices": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.entraDevices.filter { $0.registeredOwners.contains(user.id) }.map {
                    GraphRender.typed(GraphRender.device($0), "device")
                }
                return try call.collection(castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call))
            }
        },
        "GET /users/{user-id}/registeredDevices": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.entraDevices.filter { $0.registeredUsers.contains(user.id) }.map {
                    GraphRender.typed(GraphRender.device($0), "device")
                }
                return try call.collection(castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call))
            }
        },
        "GET /users/{user-id}/appRoleAssignments": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.appRoleAssignments.filter { $0.principalId == user.id }.map(GraphRender.appRoleAssignment)
                return try call.collection(
                    items, type: "microsoft.graph.appRoleAssignment", context: "users('\(user.id)')/appRoleAssignments")
            }
        },
        "POST /users/{user-id}/appRoleAssignments": { call in
            guard let body = call.body?.objectValue, let principalId = body["principalId"]?.stringValue,
                let resourceId = body["resourceId"]?.stringValue, let appRoleId = body["appRoleId"]?.stringValue
            else { throw GraphError.badRequest("principalId, resourceId and appRoleId are required.") }
            return try call.write { data in
                let user = try call.user(in: data)
                guard principalId == user.id else {
                    throw GraphError.badRequest("The principalId must be the user the assignment is created on.")
                }
                guard let resource = data.servicePrincipals.first(where: { $0.id == resourceId }) else {
                    throw GraphError.notFound(resourceId)
                }
                guard
                    !data.appRoleAssignments.contains(where: {
                        $0.principalId == user.id && $0.resourceId == resourceId && $0.appRoleId == appRoleId
                    })
                else { throw GraphError.badRequest("Permission being assigned already exists on the object") }
                let assignment = AppRoleAssignment(
                    id: data.newId(), appRoleId: appRoleId, principalId: user.id, principalDisplayName: user.displayName,
                    principalType: "User", resourceId: resourceId, resourceDisplayName: resource.displayName, createdDateTime: call.now)
                data.appRoleAssignments.append(assignment)
                var object = JSONObject([("@odata.context", call.context("users('\(user.id)')/appRoleAssignments/$entity"))])
                for (key, value) in GraphRender.appRoleAssignment(assignment) { object[key] = value }
                return GraphResult(status: 201, body: .object(object))
            }
        },
        "DELETE /users/{user-id}/appRoleAssignments/{appRoleAssignment-id}": { call in
            try call.write { data in
                let user = try call.user(in: data)
                let id = call.parameter("appRoleAssignment-id")
                guard let index = data.appRoleAssignments.firstIndex(where: { $0.id == id && $0.principalId == user.id }) else {
                    throw GraphError.notFound(id)
                }
                data.appRoleAssignments.remove(at: index)
                return .noContent
            }
        },
        "GET /users/{user-id}/oauth2PermissionGrants": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.oauth2Grants.filter { $0.principalId == user.id }.map(GraphRender.grant)
                return try call.collection(items, type: "microsoft.graph.oAuth2PermissionGrant", context: "oauth2PermissionGrants")
            }
        },
    ]

    static let authentication: [String: GraphHandler] = {
        var table: [String: GraphHandler] = [
            "GET /users/{user-id}/authentication/methods": { call in
                try call.read { data in
                    let user = try call.user(in: data)
                    let items = user.authenticationMethods.map(GraphRender.authenticationMethod)
                    return try call.collection(
                        items, type: "microsoft.graph.authenticationMethod", context: "users('\(user.id)')/authentication/methods",
                        pageable: false)
                }
            },
            "GET /users/{user-id}/authentication/methods/{authenticationMethod-id}": { call in
                try call.read { data in
                    let user = try call.user(in: data)
                    let id = call.parameter("authenticationMethod-id")
                    guard let method = user.authenticationMethods.first(where: { $0.id == id }) else { throw GraphError.notFound(id) }
                    return try call.entity(
                        GraphRender.authenticationMethod(method), type: "microsoft.graph.authenticationMethod",
                        context: "users('\(user.id)')/authentication/methods/$entity")
                }
            },
            "POST /users/{user-id}/authentication/methods/{authenticationMethod-id}/resetPassword": { _ in
                throw GraphError(
                    status: 403, code: "accessDenied", message: "This operation is not supported with application permissions.")
            },
        ]
        for kind in AuthenticationMethod.Kind.allCases {
            guard let collection = kind.collection else { continue }
            let idName: String
            switch kind {
            case .phone: idName = "phoneAuthenticationMethod-id"
            case .microsoftAuthenticator: idName = "microsoftAuthenticatorAuthenticationMethod-id"
            case .fido2: idName = "fido2AuthenticationMethod-id"
            case .softwareOath: idName = "softwareOathAuthenticationMethod-id"
            case .email: idName = "emailAuthenticationMethod-id"
            case .temporaryAccessPass: idName = "temporaryAccessPassAuthenticationMethod-id"
            case .windowsHelloForBusiness: idName = "windowsHelloForBusinessAuthenticationMethod-id"
            case .password: continue
            }
            table["GET /users/{user-id}/authentication/\(collection)"] = { call in
                try call.read { data in
                    let user = try call.user(in: data)
                    let items = user.authenticationMethods.filter { $0.kind == kind }.map(GraphRender.authenticationMethod)
                    return try call.collection(
                        items, type: "microsoft.graph.authenticationMethod", context: "users('\(user.id)')/authentication/\(collection)",
                        pageable: false)
                }
            }
            table["DELETE /users/{user-id}/authentication/\(collection)/{\(idName)}"] = { call in
                try call.write { data in
                    let user = try call.user(in: data)
                    try requirePrivilegeForSensitiveChange(call, target: user, data: data)
                    let id = call.parameter(idName)
                    guard let method = user.authenticationMethods.first(where: { $0.id == id && $0.kind == kind }) else {
                        throw GraphError(status: 404, code: "itemNotFound", message: "The requested authentication method was not found.")
                    }
                    let others = user.authenticationMethods.filter { $0.kind != .password && $0.id != id }
                    // Graph refuses to delete the default MFA method, of any kind, while other methods
                    // remain; the message differs for a phone (captured responses, see fidelity-audit.md).
                    if method.isDefault, !others.isEmpty {
                        throw GraphError(
                            status: 400, code: "badRequest",
                            message: method.kind == .phone
                                ? "The requested authentication method id of [\(id)] matches the user's current default authentication method, and cannot be deleted until the default authentication method is changed."
                                : "Cannot delete default method with other methods configured. Please change default method before deletion."
                        )
                    }
                    if method.id == AuthenticationMethod.mobilePhoneId,
                        user.authenticationMethods.contains(where: { $0.id == AuthenticationMethod.alternateMobilePhoneId })
                    {
                        throw GraphError(
                            status: 400, code: "badRequest",
                            message: "The mobile phone cannot be removed while an alternate mobile phone is registered.")
                    }
                    data.updateUser(user.id) { $0.authenticationMethods.removeAll { $0.id == id } }
                    return .noContent
                }
            }
        }
        return table
    }()
}
