public import Foundation

/// What a leaver holds besides a password and sessions: directory roles, delegated consents, app
/// role assignments, registered devices and the manager link (graph-api.md §1), each with its
/// reverse for undo.
extension MicrosoftClient {
    /// Takes the user out of an activated directory role (tenant-wide assignment).
    public func removeDirectoryRoleMember(directoryRoleId: String, userId: String) async throws {
        _ = try await graph(
            GraphRequest(
                "DELETE", "/directoryRoles/\(GraphPath.segment(directoryRoleId))/members/\(GraphPath.segment(userId))/$ref"))
    }

    /// Gives the role back; "already exist" means the desired state holds.
    public func addDirectoryRoleMember(directoryRoleId: String, userId: String) async throws {
        let reference = "\(connection.cloud.graphHost)/v1.0/directoryObjects/\(userId)"
        let check: @Sendable () async throws -> Bool = {
            try await self.memberOf(userId).contains { $0.id == directoryRoleId }
        }
        do {
            _ = try await graph(
                GraphRequest(
                    "POST", "/directoryRoles/\(GraphPath.segment(directoryRoleId))/members/$ref",
                    body: ["@odata.id": .string(reference)], idempotency: .checkFirst(check)))
        } catch let error as MicrosoftAPIError where error.classification == .alreadyPresent {
            return
        }
    }

    public func deleteOAuth2PermissionGrant(_ id: String) async throws {
        _ = try await graph(GraphRequest("DELETE", "/oauth2PermissionGrants/\(GraphPath.segment(id))"))
    }

    /// Consents again for one user (`consentType: Principal`), as the grant was.
    public func createOAuth2PermissionGrant(clientId: String, principalId: String, resourceId: String, scope: String) async throws {
        let check: @Sendable () async throws -> Bool = {
            try await self.oauth2PermissionGrants(principalId).contains { $0.clientId == clientId && $0.resourceId == resourceId }
        }
        do {
            _ = try await graph(
                GraphRequest(
                    "POST", "/oauth2PermissionGrants",
                    body: [
                        "clientId": .string(clientId), "consentType": "Principal", "principalId": .string(principalId),
                        "resourceId": .string(resourceId), "scope": .string(scope),
                    ], idempotency: .checkFirst(check)))
        } catch let error as MicrosoftAPIError where error.classification == .alreadyPresent {
            return
        }
    }

    public func removeAppRoleAssignment(userId: String, assignmentId: String) async throws {
        _ = try await graph(
            GraphRequest("DELETE", GraphPath.user(userId) + "/appRoleAssignments/\(GraphPath.segment(assignmentId))"))
    }

    public func addAppRoleAssignment(userId: String, resourceId: String, appRoleId: String) async throws {
        let check: @Sendable () async throws -> Bool = {
            try await self.appRoleAssignments(userId).contains { $0.resourceId == resourceId && $0.appRoleId == appRoleId }
        }
        do {
            _ = try await graph(
                GraphRequest(
                    "POST", GraphPath.user(userId) + "/appRoleAssignments",
                    body: ["principalId": .string(userId), "resourceId": .string(resourceId), "appRoleId": .string(appRoleId)],
                    idempotency: .checkFirst(check)))
        } catch let error as MicrosoftAPIError where error.classification == .alreadyPresent {
            return
        }
    }

    /// Enables or disables a registered (Entra) device.
    public func setDeviceEnabled(_ deviceId: String, _ enabled: Bool) async throws {
        _ = try await graph(GraphRequest("PATCH", "/devices/\(GraphPath.segment(deviceId))", body: ["accountEnabled": .bool(enabled)]))
    }

    public func deviceEnabled(_ deviceId: String) async throws -> Bool? {
        try await graph(
            GraphRequest("GET", "/devices/\(GraphPath.segment(deviceId))" + GraphPath.query([("$select", "id,accountEnabled")]))
        )
        .decode(DirectoryObject.self).accountEnabled
    }

    /// Intune's management state of a device (`managed`, `retirePending`, …).
    public func managedDeviceState(_ deviceId: String) async throws -> String? {
        try await graph(
            GraphRequest(
                "GET",
                "/deviceManagement/managedDevices/\(GraphPath.segment(deviceId))" + GraphPath.query([("$select", "id,managementState")]))
        ).decode(ManagedDevice.self).managementState
    }

    /// Groups whose display name is exactly `name`.
    public func groups(named name: String) async throws -> [DirectoryObject] {
        try await graphAll(
            "/groups"
                + GraphPath.query([
                    ("$filter", "displayName eq \(GraphPath.filterLiteral(name))"),
                    ("$select", "id,displayName,groupTypes,mailEnabled,securityEnabled"),
                ]),
            as: DirectoryObject.self)
    }

    /// Intune wipe to factory settings (enrolment and user data not kept).
    public func wipeManagedDevice(_ deviceId: String) async throws {
        let check: @Sendable () async throws -> Bool = {
            ["wipePending", "wipeIssued"].contains(try await self.managedDeviceState(deviceId) ?? "")
        }
        _ = try await graph(
            GraphRequest(
                "POST", "/deviceManagement/managedDevices/\(GraphPath.segment(deviceId))/wipe",
                body: ["keepEnrollmentData": false, "keepUserData": false], idempotency: .checkFirst(check)))
    }

    /// Intune retire: company data and management leave the device; personal data stays.
    public func retireManagedDevice(_ deviceId: String) async throws {
        let check: @Sendable () async throws -> Bool = {
            ["retirePending", "retireIssued"].contains(try await self.managedDeviceState(deviceId) ?? "")
        }
        _ = try await graph(
            GraphRequest(
                "POST", "/deviceManagement/managedDevices/\(GraphPath.segment(deviceId))/retire", idempotency: .checkFirst(check)))
    }

    /// The user's manager's object id, or nil when there is none (Graph answers 404).
    public func managerId(_ userId: String) async throws -> String? {
        do {
            return try await graph(GraphRequest("GET", GraphPath.user(userId) + "/manager" + GraphPath.query([("$select", "id")])))
                .decode(DirectoryObject.self).id
        } catch let error as MicrosoftAPIError where error.isNotFound {
            return nil
        }
    }

    /// Sets the manager (a PUT of the reference: repeating it leaves the same state).
    public func setManager(_ userId: String, managerId: String) async throws {
        let reference = "\(connection.cloud.graphHost)/v1.0/users/\(managerId)"
        _ = try await graph(GraphRequest("PUT", GraphPath.user(userId) + "/manager/$ref", body: ["@odata.id": .string(reference)]))
    }

    public func removeManager(_ userId: String) async throws {
        _ = try await graph(GraphRequest("DELETE", GraphPath.user(userId) + "/manager/$ref"))
    }
}

/// Deleting a user and bringing one back from Entra's deleted items (kept for 30 days).
extension MicrosoftClient {
    public func deleteUser(_ userId: String) async throws {
        _ = try await graph(GraphRequest("DELETE", GraphPath.user(userId)))
    }

    /// Users deleted in the last 30 days, newest first.
    public func deletedUsers() async throws -> [GraphUser] {
        try await graphAll(
            "/directory/deletedItems/microsoft.graph.user" + GraphPath.query([("$select", "id,userPrincipalName,displayName,mail")]),
            as: GraphUser.self)
    }

    /// Restores a deleted user with its group memberships; "not found" means it is not in deleted items.
    @discardableResult
    public func restoreDeletedUser(_ id: String) async throws -> GraphUser {
        try await graph(GraphRequest("POST", "/directory/deletedItems/\(GraphPath.segment(id))/restore", idempotency: .safe)).decode(
            GraphUser.self)
    }
}

/// One sharing permission on a drive item, to whom and with which roles.
public struct DriveShare: Sendable, Equatable {
    public var id: String
    public var email: String?
    public var roles: [String]
}

/// Sharing of the leaver's OneDrive (its root), through Graph.
extension MicrosoftClient {
    public func driveRootShares(driveId: String) async throws -> [DriveShare] {
        try await graphAll("/drives/\(GraphPath.segment(driveId))/items/root/permissions", as: JSONValue.self).compactMap { permission in
            guard let id = permission["id"]?.string else { return nil }
            let roles = permission["roles"]?.array?.compactMap(\.string) ?? []
            guard !roles.contains("owner") else { return nil }  // the drive's owner, not a share
            let email = permission["grantedTo"]?["user"]?["email"]?.string ?? permission["invitation"]?["email"]?.string
            return DriveShare(id: id, email: email, roles: roles)
        }
    }

    public func deleteDriveRootShare(driveId: String, permissionId: String) async throws {
        _ = try await graph(
            GraphRequest("DELETE", "/drives/\(GraphPath.segment(driveId))/items/root/permissions/\(GraphPath.segment(permissionId))"))
    }

    /// Shares the root again with a person (an invitation with the recorded roles, no message).
    public func shareDriveRoot(driveId: String, email: String, roles: [String]) async throws {
        _ = try await graph(
            GraphRequest(
                "POST", "/drives/\(GraphPath.segment(driveId))/items/root/invite",
                body: [
                    "recipients": [["email": .string(email)]], "roles": .array(roles.map(JSONValue.string)), "requireSignIn": true,
                    "sendInvitation": false,
                ], idempotency: .safe))
    }
}
