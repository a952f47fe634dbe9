import Foundation

/// Revokes the delegated permissions the leaver consented to for an app, so the app cannot act as
/// them with a token it already holds once it is refreshed.
public enum RevokeAppConsent: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var grant: GrantInfo }
    public struct BeforeState: Codable, Sendable, Equatable { public var grant: GrantInfo }

    public static let kind: StepKind = "revoke-app-consent"
    public static let policyName = "revoke-app-consents"
    public static let policyAliases = ["revoke-oauth-grants", "revoke-consents"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Revoke an app consent", reads: "GET /users/{id}/oauth2PermissionGrants", changes: "DELETE /oauth2PermissionGrants/{id}",
        verifies: "the grant is no longer listed for the user", undo: "POST /oauth2PermissionGrants with the same app, API and scopes")

    public static func plan(_ planning: inout PlanningContext) {
        let grants = planning.snapshot.oauthGrants
        guard !grants.isEmpty else { return }
        guard planning.isEnabled(Self.self) else {
            planning.warn(
                Finding("oauth-grants", "\(grants.count) app consent(s) granted by the user remain: the policy does not revoke them."))
            return
        }
        for grant in grants {
            planning.add(
                step(
                    target: grant.id, title: "Revoke the consent to app \(grant.clientId) (\(grant.scope))",
                    parameters: Parameters(grant: grant)))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.oauthGrants(context.userId).contains { $0.id == parameters.grant.id } ? nil : "the consent is revoked"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.deleteOAuthGrant(parameters.grant.id)
        return StepOutcome(
            before: "consented: \(parameters.grant.scope)", after: "revoked", beforeState: recording(BeforeState(grant: parameters.grant)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.oauthGrants(context.userId).contains {
            $0.clientId == before.grant.clientId && $0.resourceId == before.grant.resourceId
        } ? "the consent is given again" : nil
    }

    /// The grant comes back with a new id: Graph assigns it.
    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.createOAuthGrant(context.userId, before.grant)
        return StepOutcome(before: "revoked", after: "consented: \(before.grant.scope)")
    }
}
