public import Foundation

/// What an operator of `turnover serve` may do. Each operator holds one or more roles, over every
/// tenant or a named few.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Everything, including operators, tokens and tenants.
    case admin
    /// Plan, submit and follow the offboardings of their tenants.
    case technician
    /// Approve or reject the offboardings of their tenants.
    case approver
    /// Read everything of their tenants, the audit log included; change nothing.
    case auditor

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An offboarding submitted for four-eyes approval: the plan as submitted, who approved it and
/// when, and the run that carried it out.
///
/// The rules here are pure: who may approve, when a quorum is reached, when a request expires.
/// Roles and tenant scope are checked by the server before it asks.
public struct OffboardingRequest: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case awaitingApproval = "awaiting-approval"
        /// Approved, waiting for the worker to re-check live state and start the run.
        case approved
        case running
        case succeeded
        case partiallySucceeded = "partially-succeeded"
        case failed
        /// The plan had blockers: recorded, never run.
        case blocked
        case rejected
        case cancelled
        case expired
        /// A later stage of a staged timeline: planned from live state when its time comes.
        case waiting
        /// A waiting stage someone held: not planned at its time until it is released.
        case held

        public var isFinal: Bool { ![.awaitingApproval, .approved, .running, .waiting, .held].contains(self) }
    }

    /// One operator's approval, rejection or cancellation.
    public struct Decision: Codable, Sendable, Equatable {
        public var operator_: OperatorName
        public var at: Date
        /// The hash of the exact plan decided on.
        public var planHash: String?
        public var comment: String?

        enum CodingKeys: String, CodingKey {
            case operator_ = "operator"
            case at, planHash, comment
        }

        public init(operator_: OperatorName, at: Date, planHash: String? = nil, comment: String? = nil) {
            self.operator_ = operator_
            self.at = at
            self.planHash = planHash
            self.comment = comment
        }
    }

    public var id: OffboardingID
    public var tenant: String
    public var userPrincipalName: String
    public var status: Status
    public var submittedBy: OperatorName
    public var submittedAt: Date
    public var expiresAt: Date
    public var quorum: Int
    /// The policy overrides (`key=value`) the submitter gave; re-planning uses them again.
    public var overrides: [String]
    /// Steps an approver dropped ("approve with changes"); re-planning leaves them out again.
    public var droppedSteps: [StepID]
    public var confirmedWipe: Bool
    public var plan: Plan
    public var snapshot: LeaverSnapshot
    public var planHash: String
    public var approvals: [Decision]
    public var rejection: Decision?
    public var cancellation: Decision?
    public var runId: RunID?
    /// The offboarding whose run this one undoes, and the steps asked for (all when nil).
    public var undoes: OffboardingID?
    public var undoSteps: [String]?
    /// What happened that the status alone does not say (a re-plan that changed, an expiry).
    public var notes: [String]
    /// The earliest the run may start (a schedule); nil starts it as soon as it is approved.
    public var runAt: Date?
    /// Why `runAt` is when it is, in words: the leaver's zone and where it came from.
    public var timing: String?
    /// Of a staged timeline: the stage's name ("licences"), and the first stage's id, shared by all.
    public var stage: String?
    public var timeline: OffboardingID?
    /// When a waiting stage was planned: its lateness is judged then, not when its run starts.
    public var stagePlannedAt: Date?
    /// The PSA ticket this offboarding came from, if any; notes and status go back to it.
    public var ticket: TicketReference?
    /// Who holds a held stage, and why.
    public var holding: Decision?

    public init(
        id: OffboardingID, tenant: String, plan: Plan, snapshot: LeaverSnapshot, planHash: String, submittedBy: OperatorName,
        submittedAt: Date, approval: Policy.Approval, overrides: [String], confirmedWipe: Bool
    ) {
        self.id = id
        self.tenant = tenant
        userPrincipalName = plan.user.userPrincipalName
        status = plan.isBlocked ? .blocked : .awaitingApproval
        self.submittedBy = submittedBy
        self.submittedAt = submittedAt
        expiresAt = submittedAt.addingTimeInterval(TimeInterval(approval.expiresHours) * 3600)
        quorum = approval.quorum
        self.overrides = overrides
        droppedSteps = []
        self.confirmedWipe = confirmedWipe
        self.plan = plan
        self.snapshot = snapshot
        self.planHash = planHash
        approvals = []
        notes = plan.isBlocked ? ["The plan has blockers; it is recorded and will not run."] : []
    }

    /// A request the rules refuse; nothing was changed.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The state does not allow it (already decided, running, finished): 409.
            case conflict
            /// The caller may not do this to this request (four eyes): 403.
            case forbidden
        }
        public var kind: Kind
        public var description: String
        public init(kind: Kind, description: String) {
            self.kind = kind
            self.description = description
        }
    }

    /// Whether the request waits past its expiry; the worker marks such requests expired.
    public func isExpired(at now: Date) -> Bool { status == .awaitingApproval && now >= expiresAt }

    /// Records `approver`'s approval of the plan whose hash is `planHash`. The submitter never
    /// approves their own request, nobody approves twice, and the plan approved must be the plan
    /// on record. The status becomes approved once the quorum is reached.
    public mutating func approve(by approver: OperatorName, planHash approvedHash: String, comment: String?, at now: Date) throws(Refusal) {
        try requireAwaiting(at: now)
        guard approver != submittedBy else {
            throw Refusal(
                kind: .forbidden,
                description: "\(approver) submitted this offboarding; a different approver must approve it (four eyes).")
        }
        guard !approvals.contains(where: { $0.operator_ == approver }) else {
            throw Refusal(kind: .conflict, description: "\(approver) has already approved this offboarding.")
        }
        guard approvedHash == planHash else {
            throw Refusal(kind: .conflict, description: "The plan changed since it was shown; review it again.")
        }
        approvals.append(Decision(operator_: approver, at: now, planHash: approvedHash, comment: comment))
        if approvals.count >= quorum { status = .approved }
    }

    /// Replaces the plan after an approver dropped steps: the approvals so far were for another plan.
    public mutating func replacePlan(_ plan: Plan, snapshot: LeaverSnapshot, planHash: String, note: String) {
        self.plan = plan
        self.snapshot = snapshot
        self.planHash = planHash
        approvals = []
        status = plan.isBlocked ? .blocked : .awaitingApproval
        notes.append(note)
    }

    public mutating func reject(by approver: OperatorName, reason: String, at now: Date) throws(Refusal) {
        try requireAwaiting(at: now)
        rejection = Decision(operator_: approver, at: now, planHash: planHash, comment: reason)
        status = .rejected
    }

    /// Holds a waiting stage: at its time it is not planned, until someone releases it.
    public mutating func hold(by holder: OperatorName, reason: String, at now: Date) throws(Refusal) {
        guard status == .waiting else {
            throw Refusal(
                kind: .conflict,
                description: "This offboarding is \(status.rawValue); only a stage that waits for its time can be held.")
        }
        holding = Decision(operator_: holder, at: now, comment: reason)
        status = .held
        notes.append("Held by \(holder) at \(Self.stamp(now)): \(reason)")
    }

    /// Releases a held stage. One whose time passed while it was held is planned now, not reported late.
    public mutating func release(by releaser: OperatorName, at now: Date) throws(Refusal) {
        guard status == .held else {
            throw Refusal(kind: .conflict, description: "This offboarding is \(status.rawValue), not held.")
        }
        status = .waiting
        holding = nil
        if let due = runAt, due < now {
            runAt = now
            expiresAt = now
        }
        notes.append("Released by \(releaser) at \(Self.stamp(now)); planned at \(Self.stamp(runAt ?? now)).")
    }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Cancels a request that has not started: a waiting or held stage, waiting for approval, or approved and not yet picked up.
    public mutating func cancel(by canceller: OperatorName, reason: String, at now: Date) throws(Refusal) {
        guard [.awaitingApproval, .approved, .waiting, .held].contains(status) else {
            throw Refusal(
                kind: .conflict, description: "This offboarding is \(status.rawValue); only one that has not started can be cancelled.")
        }
        cancellation = Decision(operator_: canceller, at: now, planHash: planHash, comment: reason)
        status = .cancelled
    }

    private func requireAwaiting(at now: Date) throws(Refusal) {
        if isExpired(at: now) {
            throw Refusal(kind: .conflict, description: "This offboarding expired at \(expiresAt) without its approvals; submit it again.")
        }
        guard status == .awaitingApproval else {
            throw Refusal(kind: .conflict, description: "This offboarding is \(status.rawValue), not awaiting approval.")
        }
    }

    /// A later stage of `first`'s timeline, due at `runAt`: no plan yet (it is made at that time).
    public static func waitingStage(_ stage: Stage, of first: OffboardingRequest, runAt: Date, id: OffboardingID) -> OffboardingRequest {
        var request = first
        request.id = id
        request.status = .waiting
        request.plan = Plan(
            tenant: first.tenant, user: first.plan.user, policyName: first.plan.policyName, createdAt: first.submittedAt, steps: [],
            blockers: [], warnings: [], licencesToFree: [], retention: [])
        request.planHash = ""
        request.overrides = first.overrides.filter { !$0.hasPrefix("steps=") } + [stage.stepsOverride]
        request.approvals = []
        request.runAt = runAt
        request.expiresAt = runAt
        request.stage = stage.name
        request.notes = ["Stage '\(stage.name)' (\(stage.label)): planned from live state at its time, then approved like any plan."]
        return request
    }

    /// The waiting stage, planned now: it waits for approval (or is blocked) from here.
    public mutating func planStage(_ plan: Plan, snapshot: LeaverSnapshot, planHash: String, approval: Policy.Approval, at now: Date) {
        replacePlan(plan, snapshot: snapshot, planHash: planHash, note: "Stage '\(stage ?? "")' planned from live state.")
        stagePlannedAt = now
        quorum = approval.quorum
        expiresAt = now.addingTimeInterval(TimeInterval(approval.expiresHours) * 3600)
    }

    /// The request's status once its run has ended (or while it runs).
    public mutating func follow(_ run: RunStatus) {
        switch run {
        case .planned, .running: status = .running
        case .succeeded: status = .succeeded
        case .partiallySucceeded: status = .partiallySucceeded
        case .failed: status = .failed
        case .blocked: status = .blocked
        }
    }
}
