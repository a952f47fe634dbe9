import Foundation

extension GraphHandlers {
    static func removeRoleAssignment(_ assignment: RoleAssignment, from data: inout TenantData) throws {
        if assignment.roleDefinitionId == Catalog.globalAdministratorRoleId {
            let remaining = data.roleAssignments.filter {
                $0.roleDefinitionId == Catalog.globalAdministratorRoleId && $0.id != assignment.id && data.users[$0.principalId] != nil
            }
            if remaining.isEmpty {
                throw GraphError.badRequest("The last Global Administrator role assignment of the tenant cannot be removed.")
            }
        }
        data.roleAssignments.removeAll { $0.id == assignment.id }
    }

    static let directory: [String: GraphHandler] = [
        "GET /directoryRoles": { call in
            try call.read { data in
                let active = Set(data.roleAssignments.map(\.roleDefinitionId))
                let items = data.roles.filter { active.contains($0.id) }.map(GraphRender.directoryRole)
                return try call.collection(items, type: "microsoft.graph.directoryRole", context: "directoryRoles", pageable: false)
            }
        },
        "GET /directoryRoles/{directoryRole-id}/members": { call in
            try call.read { data in
                let key = call.parameter("directoryRole-id")
                guard let role = data.roles.first(where: { $0.directoryRoleId == key || $0.id == key }) else {
                    throw GraphError.notFound(key)
                }
                let items = data.roleAssignments.filter { $0.roleDefinitionId == role.id }.compactMap {
                    data.directoryObject($0.principalId)
                }
                return try call.collection(
                    items.compactMap(\.objectValue), type: "microsoft.graph.directoryObject", context: "directoryObjects", pageable: false)
            }
        },
        "DELETE /directoryRoles/{directoryRole-id}/members/{directoryObject-id}/$ref": { call in
            try call.write { data in
                let key = call.parameter("directoryRole-id")
                guard let role = data.roles.first(where: { $0.directoryRoleId == key || $0.id == key }) else {
                    throw GraphError.notFound(key)
                }
                let principal = call.parameter("directoryObject-id")
                guard let assignment = data.roleAssignments.first(where: { $0.roleDefinitionId == role.id && $0.principalId == principal })
                else {
                    throw GraphError.notFound(principal)
                }
                try removeRoleAssignment(assignment, from: &data)
                return .noContent
            }
        },
        "POST /directoryRoles/{directoryRole-id}/members/$ref": { call in
            let principal = try call.referencedId()
            return try call.write { data in
                let key = call.parameter("directoryRole-id")
                guard let role = data.roles.first(where: { $0.directoryRoleId == key || $0.id == key }) else {
                    throw GraphError.notFound(key)
                }
                guard data.users[principal] != nil || data.groups[principal]?.isAssignableToRole == true else {
                    throw GraphError.notFound(principal)
                }
                guard !data.roleAssignments.contains(where: { $0.roleDefinitionId == role.id && $0.principalId == principal }) else {
                    throw GraphError.badRequest(
                        "One or more added object references already exist for the following modified properties: 'members'.")
                }
                data.roleAssignments.append(RoleAssignment(id: data.newId(), principalId: principal, roleDefinitionId: role.id))
                return .noContent
            }
        },
        "GET /roleManagement/directory/roleAssignments": { call in
            try call.read { data in
                // `$expand=principal` is Microsoft's own example for listing who holds a role.
                let principal: GraphCall.Expander = { item in
                    item["principalId"]?.stringValue.flatMap { data.directoryObject($0) } ?? .null
                }
                return try call.collection(
                    data.roleAssignments.map(GraphRender.roleAssignment), type: "microsoft.graph.unifiedRoleAssignment",
                    context: "roleManagement/directory/roleAssignments", expansions: ["principal": principal])
            }
        },
        "GET /roleManagement/directory/roleEligibilityScheduleInstances": { call in
            try call.read { data in
                try call.collection(
                    data.roleEligibilities.map(GraphRender.roleEligibility), type: "microsoft.graph.unifiedRoleEligibilityScheduleInstance",
                    context: "roleManagement/directory/roleEligibilityScheduleInstances")
            }
        },
        "GET /admin/sharepoint/settings": { call in
            try call.read { data in
                .ok(
                    .object(
                        JSONObject([
                            ("@odata.context", call.context("admin/sharepoint/settings/$entity")),
                            ("deletedUserPersonalSiteRetentionPeriodInDays", .int(Int64(data.deletedUserOneDriveRetentionDays))),
                            ("isSiteCreationEnabled", .bool(true)), ("personalSiteDefaultStorageLimitInMB", .int(1_048_576)),
                            ("sharingCapability", .string("externalUserAndGuestSharing")),
                        ])))
            }
        },
        "DELETE /roleManagement/directory/roleAssignments/{unifiedRoleAssignment-id}": { call in
            try call.write { data in
                let id = call.parameter("unifiedRoleAssignment-id")
                guard let assignment = data.roleAssignments.first(where: { $0.id == id }) else { throw GraphError.notFound(id) }
                try removeRoleAssignment(assignment, from: &data)
                return .noContent
            }
        },
        "GET /oauth2PermissionGrants": { call in
            try call.read { data in
                try call.collection(
                    data.oauth2Grants.map(GraphRender.grant), type: "microsoft.graph.oAuth2PermissionGrant",
                    context: "oauth2PermissionGrants")
            }
        },
        "POST /oauth2PermissionGrants": { call in
            guard let body = call.body?.objectValue else { throw GraphError.badRequest("Empty Payload. JSON content expected.") }
            let fields = ["clientId", "consentType", "resourceId", "scope"].map { body[$0]?.stringValue }
            guard let clientId = fields[0], let consentType = fields[1], let resourceId = fields[2], let scope = fields[3] else {
                throw GraphError.badRequest("clientId, consentType, resourceId and scope are required.")
            }
            let principalId = body["principalId"]?.stringValue
            guard consentType == "AllPrincipals" || (consentType == "Principal" && principalId != nil) else {
                throw GraphError.badRequest("consentType 'Principal' needs a principalId; 'AllPrincipals' takes none.")
            }
            return try call.write { data in
                guard data.servicePrincipals.contains(where: { $0.id == clientId }) else { throw GraphError.notFound(clientId) }
                if let principalId, data.users[principalId] == nil { throw GraphError.notFound(principalId) }
                // One grant per client, resource and principal: the scopes of a grant are one string.
                guard
                    !data.oauth2Grants.contains(where: {
                        $0.clientId == clientId && $0.resourceId == resourceId && $0.principalId == principalId
                    })
                else {
                    throw GraphError(
                        status: 409, code: "Request_MultipleObjectsWithSameKeyValue", message: "Permission entry already exists.")
                }
                let grant = OAuth2Grant(
                    id: data.newId(), clientId: clientId, consentType: consentType, principalId: principalId, resourceId: resourceId,
                    scope: scope)
                data.oauth2Grants.append(grant)
                var object = JSONObject([("@odata.context", call.context("oauth2PermissionGrants/$entity"))])
                for (key, value) in GraphRender.grant(grant) { object[key] = value }
                return GraphResult(status: 201, body: .object(object))
            }
        },
        "DELETE /oauth2PermissionGrants/{oAuth2PermissionGrant-id}": { call in
            try call.write { data in
                let id = call.parameter("oAuth2PermissionGrant-id")
                guard data.oauth2Grants.contains(where: { $0.id == id }) else { throw GraphError.notFound(id) }
                data.oauth2Grants.removeAll { $0.id == id }
                return .noContent
            }
        },
        "GET /directory/deletedItems/microsoft.graph.user": { call in
            call.write { data in data.purgeExpiredDeletions(now: call.now) }
            return try call.read { data in
                let items = data.deletedUsers.values.sorted { $0.deletedDateTime > $1.deletedDateTime }.map { deleted -> JSONObject in
                    var object = GraphRender.user(deleted.user, in: data)
                    object["deletedDateTime"] = GraphRender.date(deleted.deletedDateTime)
                    return object
                }
                return try call.collection(items, type: "microsoft.graph.user", context: "users")
            }
        },
        "GET /directory/deletedItems/{directoryObject-id}": { call in
            try call.read { data in
                let id = call.parameter("directoryObject-id")
                guard let deleted = data.deletedUsers[id] else { throw GraphError.notFound(id) }
                var object = GraphRender.typed(GraphRender.user(deleted.user, in: data), "user").objectValue!
                object["deletedDateTime"] = GraphRender.date(deleted.deletedDateTime)
                return try call.entity(object, type: "microsoft.graph.directoryObject", context: "directory/deletedItems/$entity")
            }
        },
        "DELETE /directory/deletedItems/{directoryObject-id}": { call in
            try call.write { data in
                let id = call.parameter("directoryObject-id")
                guard data.deletedUsers.removeValue(forKey: id) != nil else { throw GraphError.notFound(id) }
                data.mailboxes[id] = nil
                data.oneDrives[id] = nil
                return .noContent
            }
        },
        "POST /directory/deletedItems/{directoryObject-id}/restore": { call in
            try call.write { data in
                let id = call.parameter("directoryObject-id")
                data.purgeExpiredDeletions(now: call.now)
                guard let deleted = data.deletedUsers[id] else { throw GraphError.notFound(id) }
                if data.userId(forKey: deleted.user.userPrincipalName) != nil {
                    throw GraphError.badRequest("Another object with the same value for property userPrincipalName already exists.")
                }
                guard let user = data.restoreUser(id, now: call.now) else { throw GraphError.notFound(id) }
                var object = JSONObject([("@odata.context", call.context("directoryObjects/$entity"))])
                for (key, value) in GraphRender.typed(GraphRender.user(user, in: data), "user").objectValue! { object[key] = value }
                return .ok(.object(object))
            }
        },
        "GET /subscribedSkus": { call in
            try call.read { data in
                let items = data.skus.map {
                    GraphRender.subscribedSku($0, consumed: data.consumedUnits(of: $0.skuId), tenantId: data.organization.id)
                }
                return try call.collection(items, type: "microsoft.graph.subscribedSku", context: "subscribedSkus", pageable: false)
            }
        },
        "GET /organization": { call in
            try call.read { data in
                try call.collection(
                    [GraphRender.organization(data.organization)], type: "microsoft.graph.organization", context: "organization",
                    pageable: false)
            }
        },
        "GET /domains": { call in
            try call.read { data in
                let items = data.organization.verifiedDomains.map { GraphRender.domain($0, organization: data.organization) }
                return try call.collection(items, type: "microsoft.graph.domain", context: "domains", pageable: false)
            }
        },
        "GET /auditLogs/signIns": { call in
            try call.read { data in
                let items = data.signIns.sorted { $0.createdDateTime > $1.createdDateTime }.map(GraphRender.signIn)
                return try call.collection(
                    items, type: "microsoft.graph.signIn", context: "auditLogs/signIns", defaultPageSize: 1_000, maxPageSize: 1_000)
            }
        },
    ]
}
