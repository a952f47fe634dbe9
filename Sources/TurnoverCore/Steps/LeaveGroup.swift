import Foundation

/// Takes the leaver out of Microsoft 365 and security groups (through Graph). A group that assigns
/// licences frees them, so it waits for the mailbox to be safe and counts only what is verified freed.
public enum LeaveGroup: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var groupId: String
        public var groupName: String
        /// The licences the group assigns the leaver (SKU ids and part numbers).
        public var licences: [LicenceInfo]
    }
    public typealias BeforeState = GroupMembership

    public static let kind: StepKind = "leave-group"
    public static let policyName = "leave-groups"
    public static let policyAliases = ["leave-group", "groups"]
    public static let phase = Phase.cleanup
    public static let ordering: [StepOrdering] = [.after(HandOverOwnership.kind, sameTarget: true)]
    public static let permissions = PermissionRequirement.anyOf("GroupMember.ReadWrite.All", "Group.ReadWrite.All")
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Leave a group", reads: "GET /users/{id}/memberOf", changes: "DELETE /groups/{id}/members/{leaver}/$ref",
        verifies: "the group is no longer in memberOf; a licensing group's licences leave licenseAssignmentStates",
        undo: "add the member back")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        // The block group is where the leaver must stay.
        for (group, licences) in GroupLicences.leavable(planning.snapshot, throughExchange: false)
        where group.id != planning.people.blockGroup?.id {
            planning.add(
                step(
                    target: group.id, title: "Leave '\(group.displayName)'" + (licences.isEmpty ? "" : " (frees its licences)"),
                    parameters: Parameters(groupId: group.id, groupName: group.displayName, licences: licences),
                    phase: GroupLicences.phase(licences, otherwise: phase), freesLicences: licences.map(\.partNumber),
                    touchesExchangeLicence: licences.contains(where: \.includesExchange)))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(parameters.groupId) ? nil : "no longer a member"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeGroupMember(parameters.groupId, context.userId)
        return try await GroupLicences.outcome(leaving: parameters.groupId, licences: parameters.licences, in: context)
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await GroupLicences.memberAgain(parameters.groupId, in: context)
    }

    /// The group's licences come back with the membership, as Entra processes it.
    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addGroupMember(parameters.groupId, context.userId)
        return StepOutcome(
            before: "not a member", after: "member" + (parameters.licences.isEmpty ? "" : " (the group assigns its licences again)"))
    }
}

/// The before-state of leaving a group or a distribution list.
public struct GroupMembership: Codable, Sendable, Equatable { public var wasMember: Bool }

/// Group-based licences leave a user some time after the membership does: they count as freed only
/// once `licenseAssignmentStates` no longer lists them from that group.
enum GroupLicences {
    /// The groups the leaver is a member of and Turnover may take them out of (not dynamic, not
    /// synced), changed through Exchange or through Graph, each with the licences it assigns.
    static func leavable(_ snapshot: LeaverSnapshot, throughExchange: Bool) -> [(GroupInfo, [LicenceInfo])] {
        snapshot.groups.filter { $0.isMember && !$0.isDynamic && !$0.isSynced && $0.managedInExchange == throughExchange }.map {
            group in (group, snapshot.licences.filter { $0.viaGroupId == group.id })
        }
    }

    /// A group that frees licences leaves with the licences, after the mailbox is safe.
    static func phase(_ licences: [LicenceInfo], otherwise phase: Phase) -> Phase { licences.isEmpty ? phase : .licences }

    static func memberAgain(_ groupId: String, in context: StepContext) async throws -> String? {
        try await context.tenant.memberGroupIds(context.userId).contains(groupId) ? "a member again" : nil
    }

    /// What leaving did, with the membership as the before-state undo restores.
    static func outcome(leaving groupId: String, licences: [LicenceInfo], in context: StepContext) async throws -> StepOutcome {
        var outcome = try await licenceOutcome(leaving: groupId, licences: licences, in: context)
        outcome.beforeState = .encoding(GroupMembership(wasMember: true))
        return outcome
    }

    static func licenceOutcome(leaving groupId: String, licences: [LicenceInfo], in context: StepContext) async throws -> StepOutcome {
        guard !licences.isEmpty else { return StepOutcome(before: "member", after: "removed") }
        let userId = context.userId
        let skuIds = Set(licences.map(\.skuId))
        let released = try await context.waitUntil {
            let user = try await context.tenant.user(userId)
            return !skuIds.contains { user.groupAssignedSkus[$0]?.contains(groupId) == true }
        }
        guard released else {
            return StepOutcome(
                before: "member", after: "removed",
                note:
                    "Entra is still removing the group's licences (\(licences.map(\.partNumber).joined(separator: ", "))); not counted as freed"
            )
        }
        return StepOutcome(before: "member", after: "removed", licencesFreed: licences.map(\.partNumber))
    }
}
