public import Foundation

/// A finding that stops an offboarding (blocker) or that a technician should know (warning).
public struct Finding: Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var resolution: String?
    public init(_ code: String, _ message: String, resolution: String? = nil) {
        self.code = code
        self.message = message
        self.resolution = resolution
    }
    public var description: String { resolution.map { "\(message) — \($0)" } ?? message }
}

public struct PlannedStep: Codable, Sendable, Equatable {
    public enum Disposition: Codable, Sendable, Equatable {
        /// Will be executed.
        case run
        /// Nothing to do: the state already is what the step would make it.
        case alreadyDone(String)
        /// Will not be changed by Turnover, for the reason given (reported in the run).
        case report(String)
    }

    public var id: StepID
    public var kind: StepKind
    public var title: String
    public var phase: Phase
    /// Steps that must succeed (or be found done) first; a failure there blocks this step.
    public var dependsOn: [StepID]
    /// Steps that must have finished first, however they ended: an order, not a condition.
    public var runsAfter: [StepID]?
    /// The kind's own typed parameters, in their JSON form.
    public var parameters: StepValue
    public var disposition: Disposition
    /// SKU part numbers this step frees once it has succeeded.
    public var freesLicences: [String]
    /// Whether the step can take the mailbox's Exchange licence away, so it must wait for the
    /// mailbox to be made safe (the planner's mailbox-before-licence rule).
    public var touchesExchangeLicence: Bool
    /// On a step of an undo plan: the before-state the original step recorded, which this step
    /// restores instead of applying its change.
    public var reverses: StepValue?

    public init(
        kind: StepKind, target: String? = nil, title: String, phase: Phase, dependsOn: [StepID] = [], runsAfter: [StepID] = [],
        parameters: StepValue = .object([:]), disposition: Disposition = .run, freesLicences: [String] = [],
        touchesExchangeLicence: Bool = false, reverses: StepValue? = nil
    ) {
        id = StepID(kind, target: target)
        self.reverses = reverses
        self.kind = kind
        self.title = title
        self.phase = phase
        self.dependsOn = dependsOn
        self.runsAfter = runsAfter.isEmpty ? nil : runsAfter
        self.parameters = parameters
        self.disposition = disposition
        self.freesLicences = freesLicences
        self.touchesExchangeLicence = touchesExchangeLicence
    }

    /// The target the step acts on (`{groupId}` in `leave-group:{groupId}`), if any.
    public var target: String? {
        let prefix = kind.rawValue + ":"
        return id.rawValue.hasPrefix(prefix) ? String(id.rawValue.dropFirst(prefix.count)) : nil
    }

    public var willRun: Bool { disposition == .run }
}

/// What Turnover will do for one leaver, computed from their live state and the tenant's policy.
public struct Plan: Codable, Sendable, Equatable {
    public var tenant: String
    public var user: PersonRef
    public var policyName: String
    public var createdAt: Date
    public var steps: [PlannedStep]
    public var blockers: [Finding]
    public var warnings: [Finding]
    public var licencesToFree: [String]
    public var retention: [String]
    /// Set on an undo plan: the run whose changes it takes back.
    public var undoes: RunID?

    public init(
        tenant: String, user: PersonRef, policyName: String, createdAt: Date, steps: [PlannedStep], blockers: [Finding],
        warnings: [Finding], licencesToFree: [String], retention: [String]
    ) {
        self.tenant = tenant
        self.user = user
        self.policyName = policyName
        self.createdAt = createdAt
        self.steps = steps
        self.blockers = blockers
        self.warnings = warnings
        self.licencesToFree = licencesToFree
        self.retention = retention
    }

    public var isBlocked: Bool { !blockers.isEmpty }
    public var runnableSteps: [PlannedStep] { steps.filter { $0.disposition == .run } }

    public func step(_ id: StepID) -> PlannedStep? { steps.first { $0.id == id } }

    /// The plan without the steps `ids` and without every step that needs one of them to succeed
    /// (transitively): a step whose condition is gone must not run. Returns what was left out.
    public func dropping(_ ids: Set<StepID>) -> (plan: Plan, dropped: [StepID]) {
        var dropped = ids.intersection(steps.map(\.id))
        var changed = true
        while changed {
            changed = false
            for step in steps where !dropped.contains(step.id) && step.dependsOn.contains(where: dropped.contains) {
                dropped.insert(step.id)
                changed = true
            }
        }
        var plan = self
        plan.steps = steps.filter { !dropped.contains($0.id) }.map { step in
            var step = step
            step.runsAfter = step.runsAfter?.filter { !dropped.contains($0) }
            return step
        }
        return (plan, steps.map(\.id).filter(dropped.contains))
    }
}

/// An earlier run for the same leaver that did not finish everything. What it did that live state
/// cannot show (a password reset, a session revocation) is not repeated when re-planning.
public struct EarlierRun: Sendable, Equatable {
    public var id: RunID
    public var succeeded: Set<StepKind>
    /// The manager link that run removed: still who the leaver worked for (the delegate, the
    /// out-of-office text and the direct reports' next manager come from it).
    public var removedManager: PersonRef?
    public init(id: RunID, succeeded: Set<StepKind>, removedManager: PersonRef? = nil) {
        self.id = id
        self.succeeded = succeeded
        self.removedManager = removedManager
    }
}

/// People a policy names, resolved against the tenant before planning (the planner does no I/O).
public struct ResolvedPeople: Sendable, Equatable {
    public var delegate: PersonRef?
    public var forwardingTarget: PersonRef?
    public var successor: PersonRef?
    /// A named person the direct reports move to (the manager needs no lookup).
    public var directReportsTo: PersonRef?
    /// The policy's block group, found by its display name.
    public var blockGroup: GroupRef?
    /// Groups the policy names that could not be found, or not told apart (two of the same name).
    public var unresolvedGroups: [String] = []
    /// The policy's further Full Access delegates, found, each with its automapping.
    public var fullAccess: [FullAccessDelegate] = []

    /// Fills in, for the policy's `manager` recipients, a manager known from elsewhere than live state.
    public mutating func resolveManager(_ manager: PersonRef, policy: Policy) {
        if policy.delegate == .manager, delegate == nil { delegate = manager }
        if policy.forwardingTo == .manager, forwardingTarget == nil { forwardingTarget = manager }
    }
    /// Policy references that could not be found, reported as blockers.
    public var unresolved: [String]
    public init(delegate: PersonRef? = nil, forwardingTarget: PersonRef? = nil, successor: PersonRef? = nil, unresolved: [String] = []) {
        self.delegate = delegate
        self.forwardingTarget = forwardingTarget
        self.successor = successor
        self.unresolved = unresolved
    }
}

/// Someone the policy gives Full Access to the kept mailbox, besides the delegate.
public struct FullAccessDelegate: Sendable, Equatable {
    public var person: PersonRef
    public var autoMapping: Bool
    public init(person: PersonRef, autoMapping: Bool) {
        self.person = person
        self.autoMapping = autoMapping
    }
}

/// Which licences go and which stay, decided once by the planner's mailbox-before-licence rule and
/// read by the steps that free licences.
public struct LicenceDecision: Sendable, Equatable {
    /// Part numbers (upper case) that stay on the account.
    public var kept: Set<String>
    /// Direct assignments that may be removed.
    public var removable: [LicenceInfo]

    public func keeps(_ licence: LicenceInfo) -> Bool { kept.contains(licence.partNumber.uppercased()) }
}

/// What a step kind sees and adds to while the plan is computed.
public struct PlanningContext: Sendable {
    public let snapshot: LeaverSnapshot
    public let policy: Policy
    public let people: ResolvedPeople
    public let now: Date
    public let earlier: EarlierRun?
    public let licences: LicenceDecision
    public internal(set) var steps: [PlannedStep] = []
    public internal(set) var blockers: [Finding] = []
    public internal(set) var warnings: [Finding] = []
    public internal(set) var retention: [String] = []

    public var user: UserInfo { snapshot.user }
    public var mailbox: MailboxInfo? { snapshot.mailbox }

    /// Whether the policy switches on this kind of step.
    public func isEnabled<Step: StepDefinition>(_ step: Step.Type) -> Bool { Self.isEnabled(step, in: policy) }

    static func isEnabled<Step: StepDefinition>(_ step: Step.Type, in policy: Policy) -> Bool {
        step.switchedOnBy.contains(where: policy.steps.contains)
    }

    public mutating func add(_ step: PlannedStep) { steps.append(step) }
    public mutating func block(_ finding: Finding) { if !blockers.contains(finding) { blockers.append(finding) } }
    public mutating func warn(_ finding: Finding) { if !warnings.contains(finding) { warnings.append(finding) } }
    public mutating func retain(_ note: String) { retention.append(note) }

    /// Live state cannot show a reset or a revocation; an earlier run that did them counts while the
    /// account has stayed blocked since (no new password use or session is possible).
    public func doneByEarlierRun(_ kind: StepKind) -> PlannedStep.Disposition {
        guard let earlier, earlier.succeeded.contains(kind), !user.accountEnabled else { return .run }
        return .alreadyDone("done by run \(earlier.id), and sign-in has stayed blocked since")
    }

    /// Fills the out-of-office placeholders for this leaver.
    public func placeholders() -> [String: String] {
        [
            "displayName": user.displayName,
            "delegate": people.delegate?.displayName ?? snapshot.manager?.displayName ?? "the service desk",
            "delegateEmail": people.delegate?.userPrincipalName ?? snapshot.manager?.userPrincipalName ?? "the service desk",
            "manager": snapshot.manager?.displayName ?? "the service desk",
            "managerEmail": snapshot.manager?.userPrincipalName ?? "the service desk",
            "date": ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate]),
        ]
    }
}
