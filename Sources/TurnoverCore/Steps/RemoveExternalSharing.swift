import Foundation

/// Takes back what the leaver shared from their OneDrive with people outside the organisation, so
/// no outsider keeps reading files nobody looks after any more. Shares inside the organisation stay.
/// Opt-in (`steps: all` includes it): planning cannot see the shares, so every plan would list it.
public enum RemoveExternalSharing: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var driveId: String
        /// Addresses in these domains are the organisation's own.
        public var internalDomains: [String]
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var shares: [DriveShareInfo] }

    public static let kind: StepKind = "remove-external-sharing"
    public static let policyName = "remove-external-sharing"
    public static let phase = Phase.containment
    /// Planning does not read the drive's permissions (it needs the drive id first): check live.
    public static let checksBeforeActing = true
    public static let isOnByDefault = false
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("Files.ReadWrite.All", "Sites.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Remove the OneDrive's external shares", reads: "GET /drives/{id}/items/root/permissions",
        changes: "DELETE each permission granted to an outside address", verifies: "no outside address is left",
        undo: "POST /drives/{id}/items/root/invite with the recorded roles (no message sent)")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let driveId = planning.snapshot.oneDriveId else { return }
        let domain = planning.user.userPrincipalName.split(separator: "@").last.map { $0.lowercased() } ?? ""
        planning.add(
            step(
                title: "Remove the OneDrive's shares with people outside \(domain)",
                parameters: Parameters(driveId: driveId, internalDomains: [domain])))
    }

    static func external(_ shares: [DriveShareInfo], _ parameters: Parameters) -> [DriveShareInfo] {
        shares.filter { share in
            let domain = share.email.split(separator: "@").last.map { $0.lowercased() } ?? ""
            return !parameters.internalDomains.contains(domain) && !domain.hasSuffix(".onmicrosoft.com")
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        external(try await context.tenant.driveShares(parameters.driveId), parameters).isEmpty ? "nothing is shared outside" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        let outside = external(try await context.tenant.driveShares(parameters.driveId), parameters)
        let tenant = context.tenant
        try await withThrowingTaskGroup(of: Void.self) { group in
            for share in outside { group.addTask { _ = try await tenant.removeDriveShare(parameters.driveId, share.id) } }
            try await group.waitForAll()
        }
        return StepOutcome(
            before: outside.map(\.email).joined(separator: ", "), after: "not shared outside",
            beforeState: recording(BeforeState(shares: outside)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        let emails = Set(try await context.tenant.driveShares(parameters.driveId).map { $0.email.lowercased() })
        return before.shares.allSatisfy { emails.contains($0.email.lowercased()) } ? "shared with them again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        for share in before.shares { try await context.tenant.addDriveShare(parameters.driveId, share) }
        return StepOutcome(before: "not shared outside", after: before.shares.map(\.email).joined(separator: ", "))
    }
}
