import Foundation

/// Blocks sign-in first: every other step is safer once the leaver can no longer act.
public enum BlockSignIn: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public init() {} }
    public struct BeforeState: Codable, Sendable, Equatable {
        public var accountEnabled: Bool
        public init(accountEnabled: Bool) { self.accountEnabled = accountEnabled }
    }

    public static let kind: StepKind = "block-sign-in"
    public static let policyName = "block-sign-in"
    public static let phase = Phase.containment
    public static let cutsAccess = true
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("User.EnableDisableAccount.All", "User.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Block sign-in", reads: "user.accountEnabled", changes: "PATCH /users/{id} accountEnabled=false",
        verifies: "accountEnabled is false on re-read", undo: "PATCH accountEnabled=true")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        if planning.user.isSynced { planning.block(SyncedUser.finding(planning.user)) }
        planning.add(
            step(
                title: catalog.title, parameters: Parameters(),
                disposition: planning.user.accountEnabled ? .run : .alreadyDone("sign-in is already blocked")))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.user(context.userId).accountEnabled == false ? "sign-in is already blocked" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setAccountEnabled(context.userId, false)
        return StepOutcome(
            before: "sign-in allowed", after: "sign-in blocked", beforeState: recording(BeforeState(accountEnabled: true)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.user(context.userId).accountEnabled == before.accountEnabled ? "sign-in is allowed again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setAccountEnabled(context.userId, before.accountEnabled)
        return StepOutcome(before: "sign-in blocked", after: "sign-in allowed")
    }
}

/// A synced user's sign-in and password are mastered on-premises: a cloud change is refused or
/// reverted at the next sync.
enum SyncedUser {
    static func finding(_ user: UserInfo) -> Finding {
        Finding(
            "synced-user",
            "\(user.userPrincipalName) is synced from on-premises AD: a cloud sign-in block or password reset is refused or reverted at the next sync.",
            resolution:
                "Disable the account in on-premises AD (and let it sync), or run with --set steps=... without block-sign-in and reset-password."
        )
    }
}
