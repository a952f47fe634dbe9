import Foundation

/// Cancels the future meetings the leaver organised, so attendees are told instead of turning up
/// to a meeting nobody runs. Exchange sends each attendee the cancellation.
public enum CancelMeetings: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var windowDays: Int
        public var meetings: [MeetingInfo]
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var meetings: [MeetingInfo] }

    public static let kind: StepKind = "cancel-meetings"
    public static let policyName = "cancel-meetings"
    public static let policyAliases = ["cancel-calendar-invites"]
    public static let phase = Phase.cleanup
    public static let reversal = Reversal.irreversible("attendees have received the cancellations; the meetings must be sent again")
    public static let permissions = PermissionRequirement.allOf([.anyOf("Calendars.Read", "Calendars.ReadWrite"), .exchange])
    public static let catalog = StepCatalogEntry(
        title: "Cancel the meetings the leaver organised", reads: "GET /users/{id}/events (organiser, attendees, not cancelled)",
        changes: "Remove-CalendarEvents -CancelOrganizedMeetings -QueryWindowInDays (policy)",
        verifies: "none of those meetings is still listed", undo: "none: the meetings are sent again by someone else")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox else { return }
        let days = planning.policy.cancelMeetingsDays
        let end = planning.now.addingTimeInterval(Double(days) * 86_400)
        let meetings = mailbox.organizedMeetings.filter { meeting in
            guard let start = meeting.start else { return false }
            return meeting.isRecurringSeries ? start < end : start >= planning.now && start < end
        }
        guard !meetings.isEmpty else { return }
        planning.add(
            step(
                title: "Cancel \(meetings.count) meeting(s) organised in the next \(days) days: "
                    + meetings.map { "'\($0.subject)'" }.joined(separator: ", "),
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, windowDays: days, meetings: meetings)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let live = Set(try await context.tenant.organizedMeetingIds(context.userPrincipalName))
        return parameters.meetings.contains { live.contains($0.id) } ? nil : "the meetings are cancelled"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.cancelOrganizedMeetings(context.userPrincipalName, parameters.windowDays)
        return StepOutcome(
            before: parameters.meetings.map(\.subject).joined(separator: ", "), after: "cancelled, attendees notified",
            beforeState: recording(BeforeState(meetings: parameters.meetings)))
    }
}
