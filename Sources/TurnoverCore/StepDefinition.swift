public import Foundation

/// The name of a kind of step (`block-sign-in`), as stored in runs and shown to technicians.
///
/// A kind is defined by one type conforming to ``StepDefinition`` in `Steps/` and listed in
/// ``StepRegistry``; nothing else in Turnover switches over kinds.
public struct StepKind: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral, StringIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: StepKind, rhs: StepKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The order an offboarding runs in: access is cut first, data is made safe before anything that
/// could lose it, and licences go last.
public enum Phase: String, Codable, Sendable, CaseIterable, Comparable {
    case containment, preservation, cleanup, licences

    var rank: Int { Phase.allCases.firstIndex(of: self)! }
    public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rank < rhs.rank }
}

/// What a technician or an auditor asks of a step before trusting it.
public struct StepCatalogEntry: Sendable, Equatable, Codable {
    public var title: String
    public var reads: String
    public var changes: String
    public var verifies: String
    public var undo: String
    public init(title: String, reads: String, changes: String, verifies: String, undo: String) {
        self.title = title
        self.reads = reads
        self.changes = changes
        self.verifies = verifies
        self.undo = undo
    }
}

/// The application permissions a step needs, as Microsoft grants them: some steps need one of
/// several (`User.EnableDisableAccount.All` or `User.ReadWrite.All`), others need Graph *and*
/// Exchange (leaving a distribution list).
public indirect enum PermissionRequirement: Sendable, Equatable, CustomStringConvertible {
    case permission(String)
    case allOf([PermissionRequirement])
    case anyOf([PermissionRequirement])
    case none

    public static func anyOf(_ names: String...) -> PermissionRequirement { .anyOf(names.map(PermissionRequirement.permission)) }

    public func isSatisfied(by granted: Set<String>) -> Bool {
        switch self {
        case .permission(let name): granted.contains(name)
        case .allOf(let parts): parts.allSatisfy { $0.isSatisfied(by: granted) }
        case .anyOf(let parts): parts.contains { $0.isSatisfied(by: granted) }
        case .none: true
        }
    }

    /// What is missing, in words: "Exchange.ManageAsApp", "one of A, B".
    public func missing(from granted: Set<String>) -> [String] {
        switch self {
        case .permission(let name): granted.contains(name) ? [] : [name]
        case .allOf(let parts): parts.flatMap { $0.missing(from: granted) }
        case .anyOf(let parts): isSatisfied(by: granted) ? [] : ["one of " + parts.map(\.description).joined(separator: ", ")]
        case .none: []
        }
    }

    public var description: String {
        switch self {
        case .permission(let name): name
        case .allOf(let parts): parts.map { $0.isCompound ? "(\($0))" : $0.description }.joined(separator: " and ")
        case .anyOf(let parts): parts.map { $0.isCompound ? "(\($0))" : $0.description }.joined(separator: " or ")
        case .none: "none"
        }
    }

    var isCompound: Bool {
        switch self {
        case .allOf(let parts), .anyOf(let parts): parts.count > 1
        default: false
        }
    }

    /// Every permission named, for JSON output.
    public var names: [String] {
        switch self {
        case .permission(let name): [name]
        case .allOf(let parts), .anyOf(let parts): parts.flatMap(\.names)
        case .none: []
        }
    }

    public static let exchange = PermissionRequirement.permission("Exchange.ManageAsApp")
}

extension PermissionRequirement: Codable {
    private enum CodingKeys: String, CodingKey { case permission, allOf, anyOf }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let name = try container.decodeIfPresent(String.self, forKey: .permission) {
            self = .permission(name)
        } else if let parts = try container.decodeIfPresent([PermissionRequirement].self, forKey: .allOf) {
            self = .allOf(parts)
        } else if let parts = try container.decodeIfPresent([PermissionRequirement].self, forKey: .anyOf) {
            self = .anyOf(parts)
        } else {
            self = .none
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .permission(let name): try container.encode(name, forKey: .permission)
        case .allOf(let parts): try container.encode(parts, forKey: .allOf)
        case .anyOf(let parts): try container.encode(parts, forKey: .anyOf)
        case .none: break
        }
    }
}

/// How soon a change shows in Microsoft's answers. Exchange takes seconds to minutes to convert a
/// mailbox; most directory changes read back at once.
public enum Settling: Sendable, Equatable {
    /// Verified by one read right after the change.
    case immediate
    /// Verified by polling with growing intervals, up to the runner's settle timeout.
    case eventual
}

/// A fact one step establishes for the rest of the same execution (verified on live state), so a
/// later step need not read it again.
public struct RunFact: Hashable, Sendable, Codable {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// Exchange has reported the leaver's mailbox as shared.
    public static let mailboxIsShared = RunFact("mailbox-is-shared")
}

/// A step must wait for the steps of another kind in the same plan (on the same target, when
/// `sameTarget` is set), if any are to run.
public struct StepOrdering: Sendable, Equatable {
    public var after: StepKind
    public var sameTarget: Bool
    public static func after(_ kind: StepKind, sameTarget: Bool = false) -> StepOrdering {
        StepOrdering(after: kind, sameTarget: sameTarget)
    }
}

/// What a step did: display text for the report, the typed before-state undo restores from, and
/// anything the rest of the run should know.
public struct StepOutcome: Sendable, Equatable {
    public enum Verification: Sendable, Equatable {
        /// Microsoft's answer to the change is itself the proof (a 204 to a DELETE, the user that
        /// `assignLicense` returns).
        case byResponse
        /// The runner checks ``StepDefinition/isSatisfied(_:in:)`` on live state after the change.
        case onLiveState
    }
    public var before: String?
    public var after: String?
    public var note: String?
    public var beforeState: StepValue?
    public var verification: Verification
    public var licencesFreed: [String]

    public init(
        before: String? = nil, after: String? = nil, note: String? = nil, beforeState: StepValue? = nil,
        verification: Verification = .onLiveState, licencesFreed: [String] = []
    ) {
        self.before = before
        self.after = after
        self.note = note
        self.beforeState = beforeState
        self.verification = verification
        self.licencesFreed = licencesFreed
    }
}

/// A step refused to report success: what it found instead.
public struct StepFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Everything a step may use while it runs: the leaver, the tenant's operations, the clock and what
/// earlier steps of this execution established.
public struct StepContext: Sendable {
    public var userId: String
    public var userPrincipalName: String
    /// When the run first started; changes at or after it count as this run's.
    public var runStarted: Date
    public var tenant: TenantOperations
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void
    public var facts: @Sendable () -> Set<RunFact>
    /// Polls `condition` with growing intervals up to the runner's settle timeout; false when it
    /// never held.
    public var waitUntil: @Sendable (_ condition: @Sendable () async throws -> Bool) async throws -> Bool
    public var makePassword: @Sendable () -> String

    public init(
        userId: String, userPrincipalName: String, runStarted: Date, tenant: TenantOperations,
        now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void,
        facts: @escaping @Sendable () -> Set<RunFact> = { [] },
        waitUntil: @escaping @Sendable (@Sendable () async throws -> Bool) async throws -> Bool,
        makePassword: @escaping @Sendable () -> String
    ) {
        self.userId = userId
        self.userPrincipalName = userPrincipalName
        self.runStarted = runStarted
        self.tenant = tenant
        self.now = now
        self.sleep = sleep
        self.facts = facts
        self.waitUntil = waitUntil
        self.makePassword = makePassword
    }

    /// Directory timestamps have whole seconds: a change in the run's first second still counts.
    public func changedSinceStart(_ date: Date?) -> Bool {
        guard let date else { return false }
        return date >= runStarted.addingTimeInterval(-1)
    }
}

/// Whether a step's change can be taken back from its recorded before-state.
public enum Reversal: Sendable, Equatable {
    case reversible
    /// Why it cannot come back (a password, MFA registrations), said to the technician by `undo`.
    case irreversible(String)
}

/// The before-state of a kind that records none.
public struct NoBeforeState: Codable, Sendable, Equatable {}

/// One kind of step: its catalog text, phase, permissions, typed parameters, how it plans from the
/// snapshot, the one check of live state that says it is done, the change itself, and its undo.
public protocol StepDefinition: Sendable {
    associatedtype Parameters: Codable & Sendable & Equatable
    /// What the step records before changing anything; undo restores it.
    associatedtype BeforeState: Codable & Sendable & Equatable = NoBeforeState

    static var kind: StepKind { get }
    static var catalog: StepCatalogEntry { get }
    static var phase: Phase { get }
    static var permissions: PermissionRequirement { get }
    /// The policy step name that switches this kind on, and other names accepted for it. Several
    /// kinds may share a name (`forwarding` sets or removes forwarding).
    static var policyName: String { get }
    static var policyAliases: [String] { get }
    /// The policy step names that switch this kind on; by default its own name.
    static var switchedOnBy: [String] { get }
    /// Facts that hold for the rest of an execution once this step is seen satisfied on live state.
    static var establishes: Set<RunFact> { get }
    /// Whether a run counts as contained (access cut) only once this step has held.
    static var cutsAccess: Bool { get }
    static var settling: Settling { get }
    static var ordering: [StepOrdering] { get }
    /// Whether planning cannot see the state this step changes (SharePoint is not read while
    /// planning), so the runner checks ``isSatisfied(_:in:)`` before acting, every time.
    static var checksBeforeActing: Bool { get }
    /// Whether a policy that lists no steps runs it (a litigation hold, which keeps a licence, is opt-in).
    static var isOnByDefault: Bool { get }
    /// Whether it destroys something that cannot come back (a wipe, a deletion): never implied by `steps: all`.
    static var isDestructive: Bool { get }

    /// Adds this kind's steps, blockers, warnings and retention notes for the leaver.
    static func plan(_ planning: inout PlanningContext)

    /// Why the desired state already holds on live state, or nil when it does not. Used to skip work
    /// already done (resume, re-plan) and to verify after acting.
    static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String?

    /// Makes the change. Throws when Microsoft refuses; the runner verifies afterwards unless the
    /// outcome says Microsoft's answer was the proof.
    static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome

    /// Whether the change can be taken back.
    static var reversal: Reversal { get }

    /// Why live state already shows the before-state again, or nil. Skips and verifies an undo.
    static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String?

    /// Restores the before-state the step recorded.
    static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome
}

extension StepDefinition {
    public static var policyAliases: [String] { [] }
    public static var switchedOnBy: [String] { [policyName] }
    public static var establishes: Set<RunFact> { [] }
    public static var cutsAccess: Bool { false }
    public static var settling: Settling { .immediate }
    public static var ordering: [StepOrdering] { [] }
    public static var isOnByDefault: Bool { true }
    public static var checksBeforeActing: Bool { false }
    public static var isDestructive: Bool { false }
    public static var reversal: Reversal { .irreversible("this change cannot be taken back") }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        throw StepFailure("\(kind) cannot be undone")
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        throw StepFailure("\(kind) cannot be undone")
    }

    /// A before-state in its stored form, for ``StepOutcome/beforeState``.
    public static func recording(_ before: BeforeState) -> StepValue { .encoding(before) }

    /// A planned step of this kind with typed parameters.
    public static func step(
        target: String? = nil, title: String, parameters: Parameters, phase: Phase? = nil, dependsOn: [StepID] = [],
        runsAfter: [StepID] = [], disposition: PlannedStep.Disposition = .run, freesLicences: [String] = [],
        touchesExchangeLicence: Bool = false
    ) -> PlannedStep {
        PlannedStep(
            kind: kind, target: target, title: title, phase: phase ?? self.phase, dependsOn: dependsOn, runsAfter: runsAfter,
            parameters: StepValue.encoding(parameters), disposition: disposition, freesLicences: freesLicences,
            touchesExchangeLicence: touchesExchangeLicence)
    }

    public static func parameters(of step: PlannedStep) throws -> Parameters {
        do { return try step.parameters.decode(Parameters.self) } catch {
            throw StepFailure("the parameters of \(step.id) cannot be read as \(kind): \(error)")
        }
    }

    static func beforeState(of step: PlannedStep, _ stored: StepValue) throws -> BeforeState {
        do { return try stored.decode(BeforeState.self) } catch {
            throw StepFailure("the recorded before-state of \(step.id) cannot be read as \(kind): \(error)")
        }
    }

    /// ``isSatisfied(_:in:)`` for a planned step, its parameters decoded; for a step of an undo plan,
    /// ``isUndone(_:before:in:)``.
    public static func isSatisfied(planned step: PlannedStep, in context: StepContext) async throws -> String? {
        if let stored = step.reverses {
            return try await isUndone(parameters(of: step), before: beforeState(of: step, stored), in: context)
        }
        return try await isSatisfied(parameters(of: step), in: context)
    }

    /// ``apply(_:in:)`` for a planned step, its parameters decoded; for a step of an undo plan,
    /// ``undo(_:before:in:)``.
    public static func apply(planned step: PlannedStep, in context: StepContext) async throws -> StepOutcome {
        if let stored = step.reverses {
            return try await undo(parameters(of: step), before: beforeState(of: step, stored), in: context)
        }
        return try await apply(parameters(of: step), in: context)
    }
}
