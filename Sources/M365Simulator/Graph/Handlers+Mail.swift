import Foundation
import Synchronization

extension GraphHandlers {
    static func requireInbox(_ call: GraphCall) throws {
        let folder = call.parameter("mailFolder-id").lowercased()
        guard folder == "inbox" else { throw GraphError.outlookNotFound }
    }

    static let mail: [String: GraphHandler] = [
        "GET /users/{user-id}/mailFolders/{mailFolder-id}/messageRules": { call in
            try requireInbox(call)
            return try call.read { data in
                let (user, mailbox) = try call.mailbox(in: data)
                let items = mailbox.inboxRules.filter { !$0.hidden }.map {
                    GraphRender.messageRule($0, names: { data.displayName(forAddress: $0) })
                }
                return try call.collection(
                    items, type: "microsoft.graph.messageRule", context: "users('\(user.id)')/mailFolders('inbox')/messageRules",
                    pageable: false)
            }
        },
        "GET /users/{user-id}/mailFolders/{mailFolder-id}/messageRules/{messageRule-id}": { call in
            try requireInbox(call)
            return try call.read { data in
                let (user, mailbox) = try call.mailbox(in: data)
                let id = call.parameter("messageRule-id")
                guard let rule = mailbox.inboxRules.first(where: { $0.id == id && !$0.hidden }) else { throw GraphError.outlookNotFound }
                return try call.entity(
                    GraphRender.messageRule(rule, names: { data.displayName(forAddress: $0) }), type: "microsoft.graph.messageRule",
                    context: "users('\(user.id)')/mailFolders('inbox')/messageRules/$entity")
            }
        },
        "DELETE /users/{user-id}/mailFolders/{mailFolder-id}/messageRules/{messageRule-id}": { call in
            try requireInbox(call)
            return try call.write { data in
                let (user, mailbox) = try call.mailbox(in: data)
                let id = call.parameter("messageRule-id")
                guard mailbox.inboxRules.contains(where: { $0.id == id && !$0.hidden }) else { throw GraphError.outlookNotFound }
                data.mailboxes[user.id]?.inboxRules.removeAll { $0.id == id }
                return .noContent
            }
        },
        "GET /users/{user-id}/mailboxSettings": { call in
            try call.read { data in
                let (user, mailbox) = try call.mailbox(in: data)
                return .ok(mailboxSettings(mailbox, call: call, userId: user.id))
            }
        },
        "PATCH /users/{user-id}/mailboxSettings": { call in
            guard let body = call.body?.objectValue else {
                throw GraphError(status: 400, code: "RequestBodyRead", message: "Empty Payload. JSON content expected.")
            }
            return try call.write { data in
                let (user, mailbox) = try call.mailbox(in: data)
                var updated = mailbox
                if let replies = body["automaticRepliesSetting"]?.objectValue {
                    if let status = replies["status"]?.stringValue {
                        updated.autoReply.state = ["alwaysenabled": "Enabled", "scheduled": "Scheduled"][status.lowercased()] ?? "Disabled"
                    }
                    if let audience = replies["externalAudience"]?.stringValue {
                        updated.autoReply.externalAudience = ["none": "None", "contactsonly": "Known"][audience.lowercased()] ?? "All"
                    }
                    if let text = replies["internalReplyMessage"]?.stringValue { updated.autoReply.internalMessage = text }
                    if let text = replies["externalReplyMessage"]?.stringValue { updated.autoReply.externalMessage = text }
                    if let start = replies["scheduledStartDateTime"]?["dateTime"]?.stringValue {
                        updated.autoReply.startTime = GraphDate.parse(start)
                    }
                    if let end = replies["scheduledEndDateTime"]?["dateTime"]?.stringValue {
                        updated.autoReply.endTime = GraphDate.parse(end)
                    }
                    if updated.autoReply.state == "Scheduled", let start = updated.autoReply.startTime, let end = updated.autoReply.endTime,
                        end <= start
                    {
                        throw GraphError(
                            status: 400, code: "ErrorInvalidParameter",
                            message: "The end time of the scheduled automatic replies must be after the start time.")
                    }
                }
                if let zone = body["timeZone"]?.stringValue { updated.timeZone = zone }
                data.mailboxes[user.id] = updated
                return .ok(mailboxSettings(updated, call: call, userId: user.id))
            }
        },
        "GET /users/{user-id}/events": { call in
            try call.read { data in
                let (user, mailbox) = try call.mailbox(in: data)
                let items = mailbox.events.filter { !$0.isCancelled }.sorted { $0.start < $1.start }.map(GraphRender.event)
                return try call.collection(
                    items, type: "microsoft.graph.event", context: "users('\(user.id)')/events", defaultPageSize: 10, maxPageSize: 1_000)
            }
        },
        "POST /users/{user-id}/events/{event-id}/cancel": { call in
            try call.write { data in
                let (user, mailbox) = try call.mailbox(in: data)
                let id = call.parameter("event-id")
                guard let index = mailbox.events.firstIndex(where: { $0.id == id && !$0.isCancelled }) else {
                    throw GraphError.outlookNotFound
                }
                guard mailbox.events[index].isOrganizer else {
                    throw GraphError(
                        status: 400, code: "ErrorAccessDenied",
                        message: "Your request can't be completed. You need to be an organizer to cancel a meeting.")
                }
                data.mailboxes[user.id]?.events[index].isCancelled = true
                data.mailboxes[user.id]?.events[index].cancellationComment =
                    call.body?["Comment"]?.stringValue ?? call.body?["comment"]?.stringValue
                return .accepted
            }
        },
        "POST /users/{user-id}/sendMail": { call in
            let message = call.body?["message"]
            guard let message, message["toRecipients"]?.arrayValue?.isEmpty == false else {
                throw GraphError(status: 400, code: "ErrorInvalidRecipients", message: "At least one recipient isn't valid.")
            }
            try call.read { data in _ = try call.mailbox(in: data) }
            call.simulator.sentMail.withLock { $0.append(["from": .string(call.parameter("user-id")), "message": message]) }
            return .accepted
        },
    ]

    static func mailboxSettings(_ mailbox: Mailbox, call: GraphCall, userId: String) -> JSONValue {
        .object(
            JSONObject([
                ("@odata.context", call.context("users('\(userId)')/mailboxSettings")),
                ("automaticRepliesSetting", .object(GraphRender.automaticReplies(mailbox.autoReply))),
                ("timeZone", .string(mailbox.timeZone)),
                ("language", ["locale": "en-US", "displayName": "English (United States)"]),
                ("dateFormat", "M/d/yyyy"),
                ("timeFormat", "h:mm tt"),
                ("userPurpose", ["value": .string(mailbox.type == .shared ? "shared" : mailbox.type == .room ? "room" : "user")]),
            ]))
    }
}

extension TenantData {
    func displayName(forAddress address: String) -> String {
        let key = address.lowercased()
        if let user = orderedUsers.first(where: { $0.mail?.lowercased() == key || $0.userPrincipalName.lowercased() == key }) {
            return user.displayName
        }
        if let group = orderedGroups.first(where: { $0.mail?.lowercased() == key }) { return group.displayName }
        return address
    }
}
