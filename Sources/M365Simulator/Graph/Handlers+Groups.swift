import Foundation

extension GraphHandlers {
    /// Graph refuses membership changes it cannot make, in the order the service checks them.
    static func checkMembershipWritable(_ call: GraphCall, group: DirectoryGroup, owners: Bool = false) throws {
        if group.isExchangeManaged {
            throw GraphError.badRequest("Cannot Update a mail-enabled security groups and or distribution list.")
        }
        if group.isSynced {
            throw GraphError.badRequest(
                "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."
            )
        }
        if !owners, group.isDynamic {
            throw GraphError.badRequest(
                "Insufficient privileges to complete the operation. Members of a group with dynamic membership are managed by its membership rule and cannot be added or removed."
            )
        }
        if group.isAssignableToRole == true, !call.claims.roles.contains("RoleManagement.ReadWrite.Directory") {
            throw GraphError.denied
        }
    }

    static let groups: [String: GraphHandler] = [
        "GET /groups": { call in
            try call.read { data in
                try call.collection(data.orderedGroups.map(GraphRender.group), type: "microsoft.graph.group", context: "groups")
            }
        },
        "GET /groups/{group-id}": { call in
            try call.read { data in
                try call.entity(GraphRender.group(try call.group(in: data)), type: "microsoft.graph.group", context: "groups/$entity")
            }
        },
        "GET /groups/{group-id}/members": { call in
            try call.read { data in
                let group = try call.group(in: data)
                let items = group.members.compactMap { data.directoryObject($0) }
                return try call.collection(castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call))
            }
        },
        "POST /groups/{group-id}/members/$ref": { call in
            let memberId = try call.referencedId()
            return try call.write { data in
                let group = try call.group(in: data)
                guard data.users[memberId] != nil || data.groups[memberId] != nil else { throw GraphError.notFound(memberId) }
                try checkMembershipWritable(call, group: group)
                guard !group.members.contains(memberId) else {
                    throw GraphError.badRequest(
                        "One or more added object references already exist for the following modified properties: 'members'.")
                }
                data.groups[group.id]?.members.append(memberId)
                data.licencesChanged(for: [memberId], now: call.now)
                return .noContent
            }
        },
        "DELETE /groups/{group-id}/members/{directoryObject-id}/$ref": { call in
            try call.write { data in
                let group = try call.group(in: data)
                let memberId = call.parameter("directoryObject-id")
                try checkMembershipWritable(call, group: group)
                guard group.members.contains(memberId) else { throw GraphError.notFound(memberId) }
                data.leaveLicensingGroup(
                    group.id, member: memberId, now: call.now, delay: .milliseconds(call.settings.groupLicenceRemovalDelayMilliseconds))
                data.groups[group.id]?.members.removeAll { $0 == memberId }
                data.licencesChanged(for: [memberId], now: call.now)
                return .noContent
            }
        },
        // Not in Microsoft's subset on purpose: without /$ref the member object itself is deleted.
        "DELETE /groups/{group-id}/members/{directoryObject-id}": { call in
            try call.write { data in
                let group = try call.group(in: data)
                let memberId = call.parameter("directoryObject-id")
                guard group.members.contains(memberId), let user = data.users[memberId] else { throw GraphError.notFound(memberId) }
                try requirePrivilegeForSensitiveChange(call, target: user, data: data)
                data.deleteUser(user.id, now: call.now)
                return .noContent
            }
        },
        "GET /groups/{group-id}/owners": { call in
            try call.read { data in
                let group = try call.group(in: data)
                let items = group.owners.compactMap { data.directoryObject($0) }
                return try call.collection(castFilter(call, items), type: "microsoft.graph.directoryObject", context: contextName(call))
            }
        },
        "POST /groups/{group-id}/owners/$ref": { call in
            let ownerId = try call.referencedId()
            return try call.write { data in
                let group = try call.group(in: data)
                guard data.users[ownerId] != nil || data.servicePrincipals.contains(where: { $0.id == ownerId }) else {
                    throw GraphError.notFound(ownerId)
                }
                try checkMembershipWritable(call, group: group, owners: true)
                guard !group.owners.contains(ownerId) else {
                    throw GraphError.badRequest(
                        "One or more added object references already exist for the following modified properties: 'owners'.")
                }
                data.groups[group.id]?.owners.append(ownerId)
                return .noContent
            }
        },
        "DELETE /groups/{group-id}/owners/{directoryObject-id}/$ref": { call in
            try call.write { data in
                let group = try call.group(in: data)
                let ownerId = call.parameter("directoryObject-id")
                try checkMembershipWritable(call, group: group, owners: true)
                guard group.owners.contains(ownerId) else { throw GraphError.notFound(ownerId) }
                let remainingUsers = group.owners.filter { $0 != ownerId && data.users[$0] != nil }
                if data.users[ownerId] != nil, remainingUsers.isEmpty {
                    throw GraphError.badRequest("The group must have at least one owner, hence this owner cannot be removed.")
                }
                data.groups[group.id]?.owners.removeAll { $0 == ownerId }
                // Known issue for Teams: removing an owner also removes the membership.
                if group.resourceProvisioningOptions.contains("Team") {
                    data.groups[group.id]?.members.removeAll { $0 == ownerId }
                    data.licencesChanged(for: [ownerId], now: call.now)
                }
                return .noContent
            }
        },
    ]
}
