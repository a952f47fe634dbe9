import Foundation

extension GraphHandlers {
    static func managedDevice(_ call: GraphCall, in data: TenantData) throws -> Int {
        let id = call.parameter("managedDevice-id")
        guard let index = data.managedDevices.firstIndex(where: { $0.id == id }) else {
            throw GraphError(
                status: 404, code: "ResourceNotFound", message: "{\"_version\": 3, \"Message\": \"Resource not found: \(id)\"}")
        }
        return index
    }

    static let devices: [String: GraphHandler] = [
        "GET /users/{user-id}/managedDevices": { call in
            try call.read { data in
                let user = try call.user(in: data)
                let items = data.managedDevices.filter { $0.userId == user.id }.map(GraphRender.managedDevice)
                return try call.collection(
                    items, type: "microsoft.graph.managedDevice", context: "users('\(user.id)')/managedDevices", defaultPageSize: 1_000,
                    maxPageSize: 1_000)
            }
        },
        "GET /deviceManagement/managedDevices": { call in
            try call.read { data in
                try call.collection(
                    data.managedDevices.map(GraphRender.managedDevice), type: "microsoft.graph.managedDevice",
                    context: "deviceManagement/managedDevices", defaultPageSize: 1_000, maxPageSize: 1_000)
            }
        },
        "GET /deviceManagement/managedDevices/{managedDevice-id}": { call in
            try call.read { data in
                let index = try managedDevice(call, in: data)
                return try call.entity(
                    GraphRender.managedDevice(data.managedDevices[index]), type: "microsoft.graph.managedDevice",
                    context: "deviceManagement/managedDevices/$entity")
            }
        },
        "POST /deviceManagement/managedDevices/{managedDevice-id}/wipe": { call in
            try call.write { data in
                let index = try managedDevice(call, in: data)
                data.managedDevices[index].wipeRequested = ManagedDevice.WipeRequest(
                    requestedAt: call.now, keepEnrollmentData: call.body?["keepEnrollmentData"]?.boolValue ?? false,
                    keepUserData: call.body?["keepUserData"]?.boolValue ?? false)
                data.managedDevices[index].managementState = "wipePending"
                return .noContent
            }
        },
        "POST /deviceManagement/managedDevices/{managedDevice-id}/retire": { call in
            try call.write { data in
                let index = try managedDevice(call, in: data)
                data.managedDevices[index].retireRequested = call.now
                data.managedDevices[index].managementState = "retirePending"
                return .noContent
            }
        },
        "GET /devices/{device-id}": { call in
            try call.read { data in
                let id = call.parameter("device-id")
                guard let device = data.entraDevices.first(where: { $0.id == id }) else { throw GraphError.notFound(id) }
                return try call.entity(GraphRender.device(device), type: "microsoft.graph.device", context: "devices/$entity")
            }
        },
        "PATCH /devices/{device-id}": { call in
            try call.write { data in
                let id = call.parameter("device-id")
                guard let index = data.entraDevices.firstIndex(where: { $0.id == id }) else { throw GraphError.notFound(id) }
                if let enabled = call.body?["accountEnabled"]?.boolValue { data.entraDevices[index].accountEnabled = enabled }
                if let name = call.body?["displayName"]?.stringValue { data.entraDevices[index].displayName = name }
                return .noContent
            }
        },
    ]

    static func oneDrive(_ call: GraphCall, in data: TenantData) throws -> OneDriveSite {
        let driveId = call.parameter("drive-id")
        guard let site = data.oneDrives.values.first(where: { $0.driveId == driveId }) else {
            throw GraphError(status: 404, code: "itemNotFound", message: "The resource could not be found.")
        }
        return site
    }

    static let files: [String: GraphHandler] = [
        "GET /users/{user-id}/drive": { call in
            try call.read { data in
                let user = try call.user(in: data)
                guard let site = data.oneDrives[user.id] else {
                    throw GraphError(status: 404, code: "ResourceNotFound", message: "User's mysite not found.")
                }
                return try call.entity(
                    GraphRender.drive(site, owner: user, tenantId: data.organization.id), type: "microsoft.graph.drive",
                    context: "users('\(user.id)')/drive/$entity")
            }
        },
        "GET /drives/{drive-id}/root": { call in
            try call.read { data in
                let site = try oneDrive(call, in: data)
                return try call.entity(
                    GraphRender.driveRoot(site, tenantId: data.organization.id), type: "microsoft.graph.driveItem",
                    context: "drives('\(site.driveId)')/root/$entity")
            }
        },
        "POST /drives/{drive-id}/items/{driveItem-id}/invite": { call in
            guard let recipients = call.body?["recipients"]?.arrayValue, !recipients.isEmpty else {
                throw GraphError(status: 400, code: "invalidRequest", message: "At least one recipient is required.")
            }
            let roles = call.body?["roles"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !roles.isEmpty, roles.allSatisfy({ ["read", "write", "owner"].contains($0) }) else {
                throw GraphError(status: 400, code: "invalidRequest", message: "Invalid roles; use read or write.")
            }
            return try call.write { data in
                let site = try oneDrive(call, in: data)
                var created: [JSONValue] = []
                for recipient in recipients {
                    guard let email = recipient["email"]?.stringValue else {
                        throw GraphError(status: 400, code: "invalidRequest", message: "Each recipient needs an email.")
                    }
                    var grants = data.oneDrives[site.ownerId]?.sharedWith ?? []
                    if let existing = grants.firstIndex(where: { $0.email.lowercased() == email.lowercased() }) {
                        grants[existing].roles = roles
                        created.append(.object(GraphRender.permission(grants[existing])))
                    } else {
                        let grant = OneDriveSite.DriveSharingGrant(id: data.newId(), email: email, roles: roles)
                        grants.append(grant)
                        created.append(.object(GraphRender.permission(grant)))
                    }
                    data.oneDrives[site.ownerId]?.sharedWith = grants
                }
                return .ok(["@odata.context": call.context("Collection(microsoft.graph.permission)"), "value": .array(created)])
            }
        },
        "DELETE /drives/{drive-id}/items/{driveItem-id}/permissions/{permission-id}": { call in
            try call.write { data in
                let site = try oneDrive(call, in: data)
                let id = call.parameter("permission-id")
                guard data.oneDrives[site.ownerId]?.sharedWith.contains(where: { $0.id == id }) == true else {
                    throw GraphError(status: 404, code: "itemNotFound", message: "The resource could not be found.")
                }
                data.oneDrives[site.ownerId]?.sharedWith.removeAll { $0.id == id }
                return .noContent
            }
        },
        "GET /drives/{drive-id}/items/{driveItem-id}/permissions": { call in
            try call.read { data in
                let site = try oneDrive(call, in: data)
                let owner = data.users[site.ownerId]
                var items = [
                    JSONObject([
                        ("id", "aTowIy5mfG1lbWJlcnNoaXA"), ("roles", ["owner"]),
                        ("grantedTo", ["user": ["displayName": .string(owner?.displayName ?? ""), "email": .string(owner?.mail ?? "")]]),
                    ])
                ]
                items += site.sharedWith.map(GraphRender.permission)
                return try call.collection(
                    items, type: "microsoft.graph.permission", context: "drives('\(site.driveId)')/items('root')/permissions",
                    pageable: false)
            }
        },
    ]
}
