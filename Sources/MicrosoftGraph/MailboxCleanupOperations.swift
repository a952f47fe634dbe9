public import Foundation

/// Exchange cmdlets that clean a leaver's mailbox up: inbox rules, ActiveSync partnerships and the
/// litigation hold (graph-api.md §2).
extension MicrosoftClient {
    public func removeInboxRule(mailbox: String, identity: String) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Remove-InboxRule", ["Mailbox": .string(mailbox), "Identity": .string(identity), "Force": true],
                anchorMailbox: mailbox, idempotency: .deleteIfExists))
    }

    /// The mailbox's ActiveSync partnerships.
    public func mobileDevices(_ mailbox: String) async throws -> [MobileDevice] {
        try await exchange(ExchangeCommand("Get-MobileDevice", ["Mailbox": .string(mailbox)], anchorMailbox: mailbox)).map(
            MobileDevice.init)
    }

    /// Removes the partnership: the device stops syncing the mailbox.
    public func removeMobileDevice(identity: String) async throws {
        _ = try await exchange(ExchangeCommand("Remove-MobileDevice", ["Identity": .string(identity)], idempotency: .deleteIfExists))
    }

    /// Wipes only the mailbox's data from the device (`-AccountOnly`), never the device itself.
    public func wipeMobileDeviceAccount(identity: String) async throws {
        _ = try await exchange(
            ExchangeCommand("Clear-MobileDevice", ["Identity": .string(identity), "AccountOnly": true], idempotency: .safe))
    }

    /// The partnerships whose statistics report an account-only wipe pending or done.
    public func accountWipedMobileDevices(_ mailbox: String) async throws -> [String] {
        try await exchange(ExchangeCommand("Get-MobileDeviceStatistics", ["Mailbox": .string(mailbox)], anchorMailbox: mailbox)).filter {
            ($0["Status"]?.string ?? "").hasPrefix("AccountOnlyDeviceWipe")
        }.compactMap { $0["Identity"]?.string }
    }

    /// Places or lifts a litigation hold; nil days holds without end.
    public func setLitigationHold(_ identity: String, enabled: Bool, durationDays: Int? = nil) async throws {
        var parameters: [String: JSONValue] = ["LitigationHoldEnabled": .bool(enabled)]
        if enabled { parameters["LitigationHoldDuration"] = durationDays.map { .string(String($0)) } ?? "Unlimited" }
        try await setMailbox(identity, parameters)
    }
}

/// An ActiveSync partnership as `Get-MobileDevice` reports it.
public struct MobileDevice: Sendable, Equatable {
    public var identity: String
    public var friendlyName: String
    public var deviceOS: String?

    init(_ json: JSONValue) {
        identity = json["Identity"]?.string ?? json["Guid"]?.string ?? ""
        friendlyName = json["FriendlyName"]?.string ?? json["DeviceModel"]?.string ?? identity
        deviceOS = json["DeviceOS"]?.string
    }
}

/// A meeting the user organised, as Outlook's calendar reports it.
public struct OrganizedMeeting: Sendable, Equatable {
    public var id: String
    public var subject: String
    /// In UTC (the request asks Outlook for UTC times).
    public var start: Date?
    public var isRecurringSeries: Bool
    public var attendeeCount: Int
}

extension MicrosoftClient {
    /// The meetings with attendees the user organises that are not cancelled, each series once.
    public func organizedMeetings(_ userId: String) async throws -> [OrganizedMeeting] {
        let events = try await graphAll(
            GraphPath.user(userId) + "/events"
                + GraphPath.query([("$select", "id,subject,isOrganizer,isCancelled,type,start,attendees"), ("$top", "1000")]),
            as: JSONValue.self, headers: [("Prefer", "outlook.timezone=\"UTC\"")])
        return events.compactMap { event in
            guard event["isOrganizer"]?.bool == true, event["isCancelled"]?.bool != true,
                let attendees = event["attendees"]?.array, !attendees.isEmpty, let id = event["id"]?.string
            else { return nil }
            return OrganizedMeeting(
                id: id, subject: event["subject"]?.string ?? "", start: event["start"]?["dateTime"]?.string.flatMap(Self.outlookDate),
                isRecurringSeries: event["type"]?.string == "seriesMaster", attendeeCount: attendees.count)
        }
    }

    /// `2026-12-03T10:00:00.0000000` (UTC, no zone suffix) as Outlook writes it.
    static func outlookDate(_ text: String) -> Date? {
        let trimmed = text.split(separator: ".").first.map(String.init) ?? text
        return try? Date(trimmed + "Z", strategy: .iso8601)
    }

    /// Cancels the user's organised meetings in the window; Exchange sends each attendee a
    /// cancellation. Repeating cancels nothing more.
    public func cancelOrganizedMeetings(_ identity: String, windowDays: Int) async throws {
        _ = try await exchange(
            ExchangeCommand(
                "Remove-CalendarEvents",
                ["Identity": .string(identity), "CancelOrganizedMeetings": true, "QueryWindowInDays": .number(Double(windowDays))],
                anchorMailbox: identity, idempotency: .safe))
    }
}
