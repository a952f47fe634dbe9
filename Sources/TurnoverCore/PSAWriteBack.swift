public import Foundation

/// One thing Turnover writes to the ticket an offboarding came from. Each is its own delivery in
/// the notification outbox, so each is retried and recorded on its own: a note that went through
/// is not posted again because the status change after it failed.
public enum PSAWriteBack: Codable, Sendable, Equatable {
    /// An internal note: the plan, the approval, the report.
    case note(title: String, text: String, html: String)
    /// Moves the ticket to the PSA's status id.
    case status(String)
    /// The run's time, for the member (and role, in Autotask).
    case time(start: Date, end: Date, summary: String, member: String, role: String?)
    /// The leaver's contact at the client company in the PSA, made inactive.
    case deactivateContact(email: String, company: String)
    /// The offboarding's signed evidence pack, built when it is sent.
    case attachEvidence(OffboardingID)

    /// A short name for the delivery's target and the records.
    public var action: String {
        switch self {
        case .note: "note"
        case .status: "status"
        case .time: "time"
        case .deactivateContact: "contact"
        case .attachEvidence: "evidence"
        }
    }

    /// What goes back to the ticket for `event`, per the tenant's `psa:` settings.
    ///
    /// - Parameters:
    ///   - run: the finished run, for the report, the time entry and the evidence.
    ///   - isLastStage: false for an earlier stage of a staged timeline, whose end must not close the ticket.
    public static func actions(
        for event: NotificationEvent, request: OffboardingRequest, run: RunRecord?, settings: PSASettings?,
        content: NotificationContent, isLastStage: Bool = true
    ) -> [PSAWriteBack] {
        var actions: [PSAWriteBack] = []
        if PSASettings.notedEvents.contains(event) {
            actions.append(note(for: event, request: request, run: run, content: content))
        }
        // Without the tenant's settings for this ticket's connection, only notes: nothing the policy did not ask for.
        guard let settings else { return actions }
        let finished = [.completed, .partial, .failed].contains(event)
        // An earlier stage of a timeline does not close the ticket: the last stage does.
        if let status = settings.statuses[event], !finished || isLastStage { actions.append(.status(status)) }
        guard finished, let run else { return actions }
        if let member = settings.timeMember, let start = run.startedAt, let end = run.finishedAt {
            actions.append(
                .time(
                    start: start, end: max(end, start.addingTimeInterval(60)),
                    summary: "Turnover: offboarding of \(request.plan.user.displayName) (\(request.id)), \(run.status.rawValue)",
                    member: member, role: settings.timeRole))
        }
        // The contact goes once the person's access is cut: not after a run that failed outright.
        if settings.deactivateContact, event != .failed, let company = settings.company {
            actions.append(.deactivateContact(email: request.userPrincipalName, company: company))
        }
        if settings.attachEvidence { actions.append(.attachEvidence(request.id)) }
        return actions
    }

    static func note(
        for event: NotificationEvent, request: OffboardingRequest, run: RunRecord?, content: NotificationContent
    ) -> PSAWriteBack {
        let detail: String?
        switch event {
        case .submitted: detail = Report.planText(request.plan)
        case .completed, .partial, .failed: detail = run.map(Report.summary)
        default: detail = nil
        }
        // The title carries the headline (Halo shows it as the note's first line, ConnectWise leads with it).
        return .note(
            title: "Turnover: \(content.headline)", text: content.text(withKeeping: true, showsHeadline: false, detail: detail),
            html: content.htmlBody(withKeeping: true, detail: detail))
    }
}
