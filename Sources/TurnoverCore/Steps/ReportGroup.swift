import Foundation

/// Memberships and ownerships Turnover must not change because another system masters them
/// (dynamic rules, on-premises AD, Exchange's ManagedBy): reported so the technician knows.
public enum ReportGroup: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var groupId: String
        public var groupName: String
    }

    public static let kind: StepKind = "report-group"
    public static let policyName = LeaveGroup.policyName
    public static let switchedOnBy = [LeaveGroup.policyName, HandOverOwnership.policyName]
    public static let phase = Phase.cleanup
    public static let reversal = Reversal.irreversible("it changes nothing, so there is nothing to take back")
    public static let permissions = PermissionRequirement.none
    public static let catalog = StepCatalogEntry(
        title: "Report a group Turnover does not change", reads: "GET /users/{id}/memberOf",
        changes: "nothing: dynamic and synced memberships are mastered elsewhere", verifies: "n/a", undo: "n/a")

    public static func plan(_ planning: inout PlanningContext) {
        let ownership = planning.policy.steps.contains { HandOverOwnership.switchedOnBy.contains($0) }
        let membership = planning.policy.steps.contains(LeaveGroup.policyName)
        for group in planning.snapshot.groups {
            let parameters = Parameters(groupId: group.id, groupName: group.displayName)
            if ownership, group.isOwner, group.managedInExchange || group.isSynced {
                planning.add(
                    step(
                        target: "owner:\(group.id)", title: "Ownership of '\(group.displayName)'", parameters: parameters,
                        disposition: .report(
                            group.isSynced
                                ? "owners of synced groups are managed in on-premises AD"
                                : "owners of mail-enabled groups (ManagedBy) are managed in Exchange; change them there")))
            }
            if membership, group.isMember, group.isDynamic || group.isSynced {
                planning.add(
                    step(
                        target: group.id, title: "Membership of '\(group.displayName)'", parameters: parameters,
                        disposition: .report(
                            group.isDynamic
                                ? "dynamic membership: the group's rule decides, so it cannot be removed; it ends when the user's attributes or the rule change"
                                : "synced from on-premises AD: remove the membership there")))
            }
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? { "reported only" }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome { StepOutcome() }
}
