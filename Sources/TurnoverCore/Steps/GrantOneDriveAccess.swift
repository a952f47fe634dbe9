import Foundation

/// Makes the delegate a site-collection admin of the leaver's OneDrive, so the files stay reachable
/// for as long as the tenant's OneDrive retention keeps them. SharePoint REST with a certificate
/// credential, as SharePoint requires; opt-in (`onedrive-access`, or `steps: all`) because an app
/// registered with a secret cannot reach SharePoint.
public enum GrantOneDriveAccess: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var siteURL: String
        public var delegate: PersonRef
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var delegateWasAdmin: Bool }

    public static let kind: StepKind = "grant-onedrive-access"
    public static let policyName = "onedrive-access"
    public static let policyAliases = ["grant-onedrive-access"]
    public static let phase = Phase.preservation
    public static let isOnByDefault = false
    public static let checksBeforeActing = true
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.permission("Sites.FullControl.All")
    public static let catalog = StepCatalogEntry(
        title: "Give the delegate access to the OneDrive", reads: "GET {site}/_api/web/siteusers",
        changes: "POST {site}/_api/web/ensureuser, then MERGE getuserbyid(n) IsSiteAdmin=true",
        verifies: "the delegate is a site-collection admin", undo: "MERGE IsSiteAdmin=false")

    public static func plan(_ planning: inout PlanningContext) {
        guard let site = planning.snapshot.oneDriveURL else { return }
        // With delete-user, that step states the OneDrive's end date.
        if !planning.isEnabled(DeleteUser.self) { planning.retain(lifetime(planning, site: site)) }
        guard planning.isEnabled(Self.self) else {
            planning.retain("No one is given access to the OneDrive (policy step onedrive-access is off).")
            return
        }
        guard let delegate = planning.people.delegate else { return }
        planning.add(
            step(
                target: delegate.userPrincipalName, title: "Give \(delegate.displayName) access to the OneDrive",
                parameters: Parameters(siteURL: site, delegate: delegate)))
        planning.retain("\(delegate.displayName) is a site-collection admin of the OneDrive \(site).")
    }

    /// When SharePoint deletes the OneDrive: the tenant's `deletedUserPersonalSiteRetentionPeriodInDays`
    /// after the account is deleted (by this plan's own delete step, or whenever someone does).
    static func lifetime(_ planning: PlanningContext, site: String, deletedByThisPlan: Bool = false) -> String {
        guard let days = planning.snapshot.oneDriveRetentionDays else {
            return deletedByThisPlan
                ? "OneDrive \(site) is kept after the deletion for the tenant's OneDrive retention (30 days unless the tenant set longer; its setting could not be read), then deleted."
                : "OneDrive \(site) stays while the account exists; after the account is deleted it is kept for the tenant's OneDrive retention (30 days unless the tenant set longer; its setting could not be read), then deleted."
        }
        guard deletedByThisPlan else {
            return
                "OneDrive \(site) stays while the account exists; once the account is deleted, SharePoint keeps it \(days) days (tenant setting), then deletes it."
        }
        let date = ISO8601DateFormatter.string(
            from: planning.now.addingTimeInterval(Double(days) * 86_400), timeZone: .gmt, formatOptions: [.withFullDate])
        return
            "OneDrive \(site) is deleted by SharePoint on \(date), \(days) days after this run deletes the account (tenant setting); delegated access lasts as long."
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.siteAdmins(parameters.siteURL).contains {
            $0.lowercased() == parameters.delegate.userPrincipalName.lowercased()
        }
            ? "\(parameters.delegate.userPrincipalName) is a site-collection admin" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.addSiteAdmin(parameters.siteURL, parameters.delegate.userPrincipalName)
        return StepOutcome(
            before: "no access for \(parameters.delegate.userPrincipalName)", after: "\(parameters.delegate.userPrincipalName): site admin",
            beforeState: recording(BeforeState(delegateWasAdmin: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await isSatisfied(parameters, in: context) == nil ? "\(parameters.delegate.userPrincipalName) is no longer a site admin" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.removeSiteAdmin(parameters.siteURL, parameters.delegate.userPrincipalName)
        return StepOutcome(before: "site admin", after: "no access")
    }
}
