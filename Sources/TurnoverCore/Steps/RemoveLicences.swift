import Foundation

/// Removes the direct licences last, and only once Exchange reports the mailbox as shared.
public enum RemoveLicences: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var licences: [LicenceInfo]
        /// Set when the leaver has a mailbox: it must be shared before an Exchange licence goes.
        public var requiresSharedMailbox: Bool
        public init(licences: [LicenceInfo], requiresSharedMailbox: Bool) {
            self.licences = licences
            self.requiresSharedMailbox = requiresSharedMailbox
        }
    }
    public struct BeforeState: Codable, Sendable, Equatable {
        /// The direct assignments removed, with the service plans each had disabled.
        public var licences: [LicenceInfo]
    }

    public static let kind: StepKind = "remove-licences"
    public static let policyName = "remove-licences"
    public static let phase = Phase.licences
    /// Graph to change licences, Exchange to confirm the mailbox is shared first.
    public static let permissions = PermissionRequirement.allOf([
        .anyOf("LicenseAssignment.ReadWrite.All", "User.ReadWrite.All"), .exchange,
    ])
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Remove licences", reads: "assignedLicenses, licenseAssignmentStates; Get-Mailbox",
        changes: "POST /users/{id}/assignLicense removeLicenses (direct only, in one call so dependent add-ons go with their base)",
        verifies: "the SKUs are gone from the user assignLicense returns", undo: "assignLicense addLicenses from the snapshot")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        let removable = planning.licences.removable
        for licence in planning.snapshot.licences where planning.licences.keeps(licence) {
            planning.retain("\(licence.partNumber) kept on the account.")
        }
        guard !removable.isEmpty else { return }
        let mailbox = planning.mailbox
        planning.add(
            step(
                title: "Remove licences: \(removable.map(\.partNumber).joined(separator: ", "))",
                parameters: Parameters(
                    licences: removable, requiresSharedMailbox: mailbox?.isUserMailbox == true || mailbox?.isShared == true),
                freesLicences: removable.map(\.partNumber), touchesExchangeLicence: removable.contains(where: \.includesExchange)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let user = try await context.tenant.user(context.userId)
        let direct = Set(user.directSkuIds ?? user.assignedSkuIds)
        return parameters.licences.allSatisfy { !direct.contains($0.skuId) } ? "the licences are already removed" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        if parameters.requiresSharedMailbox, !context.facts().contains(.mailboxIsShared) {
            // Never remove a licence before Exchange confirms the mailbox is shared.
            let upn = context.userPrincipalName
            let tenant = context.tenant
            guard try await context.waitUntil({ try await tenant.mailbox(upn)?.isShared == true }) else {
                throw StepFailure("Exchange still reports a user mailbox; licences are kept until it is shared")
            }
        }
        // Graph answers with the user as it now is: that answer is the verification. It refuses the
        // whole call when one licence is already gone (an earlier attempt whose answer was lost), so
        // what is left is removed again.
        let skuIds = parameters.licences.map(\.skuId)
        var result = try await context.tenant.removeLicences(context.userId, skuIds)
        if result.wereAlreadyAbsent {
            let left = skuIds.filter(result.remainingSkuIds.contains)
            if !left.isEmpty { result = try await context.tenant.removeLicences(context.userId, left) }
        }
        let remaining = Set(result.remainingSkuIds)
        var stillThere = parameters.licences.filter { remaining.contains($0.skuId) }
        var inherited: [LicenceInfo] = []
        if !stillThere.isEmpty {
            // Still listed: either the direct assignment stayed, or a group assigns the same licence
            // (Graph lists both as one). Only the first is a failure; the second is not freed yet.
            let user = try await context.tenant.user(context.userId)
            let direct = Set(user.directSkuIds ?? user.assignedSkuIds)
            inherited = stillThere.filter { !direct.contains($0.skuId) }
            stillThere = stillThere.filter { direct.contains($0.skuId) }
        }
        guard stillThere.isEmpty else {
            throw StepFailure("still assigned after the change: \(stillThere.map(\.partNumber).joined(separator: ", "))")
        }
        let parts = parameters.licences.map(\.partNumber)
        let inheritedParts = Set(inherited.map(\.partNumber))
        let after =
            inherited.isEmpty
            ? "removed"
            : "direct assignment removed; \(inheritedParts.sorted().joined(separator: ", ")) still inherited from a group, not freed yet"
        return StepOutcome(
            before: parts.joined(separator: ","), after: after, beforeState: recording(BeforeState(licences: parameters.licences)),
            verification: .byResponse, licencesFreed: parts.filter { !inheritedParts.contains($0) })
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        let assigned = Set(try await context.tenant.user(context.userId).assignedSkuIds)
        return before.licences.allSatisfy { assigned.contains($0.skuId) } ? "the licences are assigned again" : nil
    }

    /// One `assignLicense` with every licence, so an add-on comes back together with its base.
    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        let assigned = Set(try await context.tenant.addLicences(context.userId, before.licences))
        let missing = before.licences.filter { !assigned.contains($0.skuId) }
        guard missing.isEmpty else {
            throw StepFailure("not assigned after the change: \(missing.map(\.partNumber).joined(separator: ", "))")
        }
        return StepOutcome(
            before: "no direct licences", after: before.licences.map(\.partNumber).joined(separator: ","), verification: .byResponse)
    }
}
