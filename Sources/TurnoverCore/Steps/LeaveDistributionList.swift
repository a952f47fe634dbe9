import Foundation

/// Takes the leaver out of distribution lists and mail-enabled security groups, which Graph cannot
/// change: only Exchange can.
public enum LeaveDistributionList: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var groupId: String
        public var groupName: String
        /// The address Exchange knows the group by (its id when it has none).
        public var identity: String
        public var licences: [LicenceInfo]
    }
    public typealias BeforeState = GroupMembership

    public static let kind: StepKind = "leave-distribution-list"
    public static let policyName = LeaveGroup.policyName
    public static let phase = Phase.cleanup
    /// Graph to verify through memberOf, Exchange to make the change.
    public static let permissions = PermissionRequirement.allOf([
        .anyOf("GroupMember.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All"),
        .exchange,
    ])
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Leave a distribution list", reads: "GET /users/{id}/memberOf", changes: "Remove-DistributionGroupMember",
        verifies: "the group is no longer in memberOf", undo: "Add-DistributionGroupMember")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        for (group, licences) in GroupLicences.leavable(planning.snapshot, throughExchange: true) {
            planning.add(
                step(
                    target: group.id, title: "Leave '\(group.displayName)' (through Exchange)",
                    parameters: Parameters(
                        groupId: group.id, groupName: group.displayName, identity: group.mail ?? group.id, licences: licences),
                    phase: GroupLicences.phase(licences, otherwise: phase), freesLicences: licences.map(\.partNumber),
                    touchesExchangeLicence: licences.contains(where: \.includesExchange)))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(parameters.groupId) ? nil : "no longer a member"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeDistributionGroupMember(parameters.identity, context.userPrincipalName)
        return try await GroupLicences.outcome(leaving: parameters.groupId, licences: parameters.licences, in: context)
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await GroupLicences.memberAgain(parameters.groupId, in: context)
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addDistributionGroupMember(parameters.identity, context.userPrincipalName)
        return StepOutcome(before: "not a member", after: "member")
    }
}
