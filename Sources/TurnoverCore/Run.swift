public import Foundation

public enum StepStatus: String, Codable, Sendable {
    case pending, running, succeeded, skipped, failed, blocked

    public var isFinal: Bool { self == .succeeded || self == .skipped || self == .failed || self == .blocked }
}

/// A Microsoft refusal as recorded, with what support needs.
public struct RecordedError: Codable, Sendable, Equatable, CustomStringConvertible {
    public var status: Int?
    public var code: String?
    public var message: String
    public var requestId: String?
    public var date: String?
    public var operation: String?
    public init(
        status: Int? = nil, code: String? = nil, message: String, requestId: String? = nil, date: String? = nil, operation: String? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
        self.date = date
        self.operation = operation
    }
    public var description: String {
        var text = [status.map(String.init), code].compactMap { $0 }.joined(separator: " ")
        text += text.isEmpty ? message : ": \(message)"
        if let requestId { text += " (request-id \(requestId)\(date.map { ", \($0)" } ?? ""))" }
        return text
    }
}

public struct StepRecord: Codable, Sendable, Equatable {
    public var id: StepID
    public var kind: StepKind
    public var title: String
    public var phase: Phase
    public var status: StepStatus
    public var reason: String?
    public var error: RecordedError?
    public var before: String?
    public var after: String?
    /// The typed state before the change, as the step kind recorded it: what undo restores.
    public var beforeState: StepValue?
    /// SKU part numbers this step verifiably freed.
    public var licencesFreed: [String]?
    public var attempts: Int
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The Microsoft requests that carried this step's changes.
    public var requests: [CarriedRequest]?

    public init(step: PlannedStep) {
        id = step.id
        kind = step.kind
        title = step.title
        phase = step.phase
        switch step.disposition {
        case .run: status = .pending
        case .alreadyDone(let why):
            status = .skipped
            reason = "already done: \(why)"
        case .report(let why):
            status = .skipped
            reason = why
        }
        attempts = 0
    }
}

public enum RunStatus: String, Codable, Sendable {
    case planned, running, succeeded, partiallySucceeded = "partially-succeeded", failed, blocked

    /// A run is "succeeded" only when every step succeeded or was skipped for a stated reason.
    public static func derive(_ steps: [StepRecord], blocked: Bool) -> RunStatus {
        if blocked { return .blocked }
        if steps.contains(where: { !$0.status.isFinal }) { return steps.contains { $0.status != .pending } ? .running : .planned }
        let failed = steps.filter { $0.status == .failed || $0.status == .blocked }.count
        if failed == 0 { return .succeeded }
        let done = steps.filter { $0.status == .succeeded }.count
        return done > 0 ? .partiallySucceeded : .failed
    }
}

/// An offboarding run: the approved plan, the before-state and each step's outcome.
public struct RunRecord: Codable, Sendable {
    public var id: RunID
    public var tenant: String
    public var user: PersonRef
    public var status: RunStatus
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When sign-in was blocked and sessions revoked (time to containment is measured from `startedAt`).
    public var containedAt: Date?
    public var plan: Plan
    public var snapshot: LeaverSnapshot
    public var steps: [StepRecord]
    public var licencesFreed: [String]
    public var operator_: String?
    /// The offboarding of `turnover serve` this run carries out, with each approval: who, when, and
    /// the hash of the exact plan approved. Nil for a run started by the CLI's own `offboard`.
    public var offboarding: OffboardingID?
    public var approvals: [OffboardingRequest.Decision]?
    /// When the run was scheduled to start, and why then; a start well after it says it was late.
    public var schedule: [String]?

    enum CodingKeys: String, CodingKey {
        case id, tenant, user, status, createdAt, startedAt, finishedAt, containedAt, plan, snapshot, steps, licencesFreed
        case operator_ = "operator"
        case offboarding, approvals, schedule
    }

    public init(id: RunID, plan: Plan, snapshot: LeaverSnapshot, createdAt: Date, operator_: String?) {
        self.id = id
        tenant = plan.tenant
        user = plan.user
        status = plan.isBlocked ? .blocked : .planned
        self.createdAt = createdAt
        self.plan = plan
        self.snapshot = snapshot
        steps = plan.steps.map(StepRecord.init(step:))
        licencesFreed = []
        self.operator_ = operator_
    }

}

/// A change request Microsoft answered, with the request-id its support can trace (for a batched
/// change, the batch's).
public struct CarriedRequest: Codable, Sendable, Equatable {
    public var operation: String
    public var requestId: String
    public init(operation: String, requestId: String) {
        self.operation = operation
        self.requestId = requestId
    }
}
