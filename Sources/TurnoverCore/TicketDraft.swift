public import Foundation

/// What a ticket's extraction becomes: the submission a technician reviews (the same fields as
/// `POST /offboardings`), and what still needs a person to decide. Nothing is submitted from here:
/// the plan goes through approval like any other.
public struct TicketDraft: Codable, Sendable, Equatable {
    public var userPrincipalName: String?
    /// Policy overrides (`key=value`) for the people and the hour the ticket named.
    public var overrides: [String]
    /// The leaver's last day (yyyy-MM-dd), when the ticket gave one and the exit is not hostile.
    public var lastDay: String?
    /// A hostile or immediate exit: run as soon as it is approved.
    public var runsNow: Bool
    /// Why the draft cannot be submitted as it is: each an ambiguous or missing person or date.
    public var blockers: [String]
    /// Requests no rule mapped, for the technician to act on by hand.
    public var instructions: [String]

    public var isReady: Bool { userPrincipalName != nil && blockers.isEmpty }

    public init(_ extraction: TicketExtraction) {
        userPrincipalName = extraction.leaver?.value.userPrincipalName
        var overrides: [String] = []
        if let delegate = extraction.delegate?.value { overrides.append("delegate=\(delegate.userPrincipalName)") }
        if let target = extraction.forwardingTo?.value { overrides.append("forwarding=\(target.userPrincipalName)") }
        runsNow = extraction.runsNow
        if !runsNow, let time = extraction.lastTime?.value {
            overrides.append(String(format: "endOfDay=%02d:%02d", time.hour, time.minute))
        }
        self.overrides = overrides
        lastDay = runsNow ? nil : extraction.lastDay?.value.description
        var blockers = extraction.problems.map(\.message)
        if extraction.isOffboarding?.value != true {
            blockers.insert(
                "The ticket does not read as an offboarding\(extraction.isOffboarding.map { " (“\($0.evidence.words)”)" } ?? ""); nothing is planned from it.",
                at: 0)
        } else if extraction.leaver == nil && !extraction.problems.contains(where: { $0.field == .leaver }) {
            blockers.append("No leaver was found in the ticket; choose the person.")
        }
        self.blockers = blockers
        instructions = extraction.instructions.map(\.value)
    }
}
