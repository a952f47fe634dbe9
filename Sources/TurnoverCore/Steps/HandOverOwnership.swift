import Foundation

/// Hands the groups the leaver owns to a successor, so no group is left without an owner.
public enum HandOverOwnership: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var groupId: String
        public var groupName: String
        /// Nil when other owners remain and no successor is named.
        public var successor: PersonRef?
        public init(groupId: String, groupName: String, successor: PersonRef?) {
            self.groupId = groupId
            self.groupName = groupName
            self.successor = successor
        }
    }
    public struct BeforeState: Codable, Sendable, Equatable {
        /// The successor this step made an owner (nil when other owners simply remained).
        public var addedOwner: PersonRef?
        public init(addedOwner: PersonRef?) { self.addedOwner = addedOwner }
    }

    public static let kind: StepKind = "hand-over-ownership"
    public static let policyName = "hand-over-ownership"
    /// Leaving a group one owns raises the same question of who owns it next.
    public static let switchedOnBy = ["hand-over-ownership", LeaveGroup.policyName]
    public static let phase = Phase.cleanup
    public static let permissions = PermissionRequirement.permission("Group.ReadWrite.All")
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Hand group ownership over", reads: "GET /groups/{id}/owners",
        changes: "POST owners/$ref (successor), then DELETE owners/{leaver}/$ref",
        verifies: "the successor owns the group and the leaver does not",
        undo: "add the leaver back as owner, then remove the successor it added")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        let user = planning.user
        let owned = planning.snapshot.groups.filter(\.isOwner)
        let soleOwned = owned.filter { $0.ownerIds.allSatisfy { $0 == user.id } }
        if !soleOwned.isEmpty, planning.people.successor == nil {
            planning.block(
                Finding(
                    "sole-owner",
                    "\(user.displayName) is the only owner of \(soleOwned.map { "'\($0.displayName)'" }.joined(separator: ", ")).",
                    resolution: "Name a successor: --set successor=someone@domain."))
        }
        for group in owned where !group.managedInExchange && !group.isSynced {
            let others = group.ownerIds.filter { $0 != user.id }
            guard !others.isEmpty || planning.people.successor != nil else { continue }  // blocked above
            let successor = planning.people.successor.flatMap { others.contains($0.id) ? nil : $0 }
            planning.add(
                step(
                    target: group.id,
                    title: successor.map { "Hand '\(group.displayName)' over to \($0.displayName)" }
                        ?? "Remove ownership of '\(group.displayName)' (other owners remain)",
                    parameters: Parameters(groupId: group.id, groupName: group.displayName, successor: successor)))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let owners = try await context.tenant.groupOwnerIds(parameters.groupId)
        let successorOwns = parameters.successor.map { owners.contains($0.id) } ?? true
        return successorOwns && !owners.contains(context.userId) ? "ownership was already handed over" : nil
    }

    /// The successor is added before the leaver goes: Graph refuses to remove a group's last owner.
    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        if let successor = parameters.successor { try await context.tenant.addGroupOwner(parameters.groupId, successor.id) }
        _ = try await context.tenant.removeGroupOwner(parameters.groupId, context.userId)
        return StepOutcome(
            before: "owner: \(context.userPrincipalName)", after: "owner: \(parameters.successor?.displayName ?? "the remaining owners")",
            beforeState: recording(BeforeState(addedOwner: parameters.successor)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        let owners = try await context.tenant.groupOwnerIds(parameters.groupId)
        let addedGone = before.addedOwner.map { !owners.contains($0.id) } ?? true
        return owners.contains(context.userId) && addedGone ? "the leaver owns '\(parameters.groupName)' again" : nil
    }

    /// The leaver comes back before the successor goes, so the group never lacks an owner.
    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addGroupOwner(parameters.groupId, context.userId)
        if let added = before.addedOwner { _ = try await context.tenant.removeGroupOwner(parameters.groupId, added.id) }
        return StepOutcome(
            before: "owner: \(before.addedOwner?.displayName ?? "the remaining owners")", after: "owner: \(context.userPrincipalName)")
    }
}
