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
    public var dependsOn: [StepID]
    public var parameters: [String: String]
    public var disposition: Disposition

    public init(
        _ kind: StepKind, target: String? = nil, title: String, dependsOn: [StepID] = [], parameters: [String: String] = [:],
        disposition: Disposition = .run
    ) {
        id = StepID(kind, target: target)
        self.kind = kind
        self.title = title
        self.dependsOn = dependsOn
        self.parameters = parameters
        self.disposition = disposition
    }

    public var phase: Phase { kind == .leaveGroup && parameters["licensing"] == "true" ? .licences : kind.phase }
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

    public var isBlocked: Bool { !blockers.isEmpty }
    public var runnableSteps: [PlannedStep] { steps.filter { $0.disposition == .run } }

    public func step(_ id: StepID) -> PlannedStep? { steps.first { $0.id == id } }
}

/// An earlier run for the same leaver that did not finish everything. What it did that live state
/// cannot show (a password reset, a session revocation) is not repeated when re-planning.
public struct EarlierRun: Sendable, Equatable {
    public var id: RunID
    public var succeeded: Set<StepKind>
    public init(id: RunID, succeeded: Set<StepKind>) {
        self.id = id
        self.succeeded = succeeded
    }
}

/// People a policy names, resolved against the tenant before planning (the planner does no I/O).
public struct ResolvedPeople: Sendable, Equatable {
    public var delegate: PersonRef?
    public var forwardingTarget: PersonRef?
    public var successor: PersonRef?
    /// Policy references that could not be found, reported as blockers.
    public var unresolved: [String]
    public init(delegate: PersonRef? = nil, forwardingTarget: PersonRef? = nil, successor: PersonRef? = nil, unresolved: [String] = []) {
        self.delegate = delegate
        self.forwardingTarget = forwardingTarget
        self.successor = successor
        self.unresolved = unresolved
    }
}
