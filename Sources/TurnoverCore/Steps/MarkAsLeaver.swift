public import Foundation

/// Marks the account as a leaver's where people look: a display-name prefix ("(Left) Ben Carter")
/// and Entra's `employeeLeaveDateTime`, which lifecycle workflows and access reviews read. Opt-in.
public enum MarkAsLeaver: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var displayName: String
        public var leaveDate: Date
    }
    public typealias BeforeState = LeaverProfile

    public static let kind: StepKind = "mark-as-leaver"
    public static let policyName = "mark-as-leaver"
    public static let phase = Phase.cleanup
    public static let isOnByDefault = false
    /// Planning does not read the leave date (it needs the lifecycle permission): check it live first.
    public static let checksBeforeActing = true
    public static let reversal = Reversal.reversible
    /// `employeeLeaveDateTime` has its own lifecycle permission besides the user write.
    public static let permissions = PermissionRequirement.allOf([
        .anyOf("User.ReadWrite.All", "Directory.ReadWrite.All"), .permission("User-LifeCycleInfo.ReadWrite.All"),
    ])
    public static let catalog = StepCatalogEntry(
        title: "Mark the account as a leaver's", reads: "user.displayName, employeeLeaveDateTime",
        changes: "PATCH /users/{id} displayName (policy prefix) and employeeLeaveDateTime", verifies: "both read back",
        undo: "PATCH the recorded display name and leave date back")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        let prefix = planning.policy.leaverDisplayNamePrefix
        let current = planning.user.displayName
        let name = current.hasPrefix(prefix) ? current : prefix + current
        planning.add(
            step(
                title:
                    "Mark as a leaver: display name “\(name)”, leave date \(ISO8601DateFormatter.string(from: planning.now, timeZone: .gmt, formatOptions: [.withFullDate]))",
                parameters: Parameters(displayName: name, leaveDate: planning.now)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let profile = try await context.tenant.leaverProfile(context.userId)
        return profile.displayName == parameters.displayName && profile.employeeLeaveDateTime != nil ? "already marked as a leaver" : nil
    }

    /// Reads the leave date first: planning does not (it needs the lifecycle permission).
    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        let before = try await context.tenant.leaverProfile(context.userId)
        try await context.tenant.setLeaverProfile(
            context.userId, LeaverProfile(displayName: parameters.displayName, employeeLeaveDateTime: parameters.leaveDate))
        return StepOutcome(before: before.displayName, after: parameters.displayName, beforeState: recording(before))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        let profile = try await context.tenant.leaverProfile(context.userId)
        return profile.displayName == before.displayName && profile.employeeLeaveDateTime == before.employeeLeaveDateTime
            ? "the display name and leave date are as before" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setLeaverProfile(context.userId, before)
        return StepOutcome(before: parameters.displayName, after: before.displayName)
    }
}
