import Foundation

/// Removes each registered authentication method, so the leaver cannot complete MFA or reset
/// their own password.
public enum RemoveAuthMethod: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var method: AuthMethodInfo
        /// The user's other deletable methods; if Graph refuses this one as the default, it goes
        /// once these are gone.
        public var siblings: [String]
        public init(method: AuthMethodInfo, siblings: [String]) {
            self.method = method
            self.siblings = siblings
        }
    }

    /// How long a refused default waits for its siblings to go.
    static let siblingWait: TimeInterval = 60

    public static let kind: StepKind = "remove-auth-method"
    public static let policyName = "remove-auth-methods"
    public static let policyAliases = ["remove-auth-method"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "MFA registrations cannot be recreated for a user: they register their methods again")
    public static let permissions = PermissionRequirement.permission("UserAuthenticationMethod.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Remove authentication method", reads: "GET /users/{id}/authentication/methods (when planning)",
        changes: "DELETE /users/{id}/authentication/{kind}/{method}", verifies: "Graph answers 204 (deleted) or 404 (already gone)",
        undo: "none: the user registers the method again")

    /// Graph refuses to delete the user's *default* MFA method while other methods remain, and v1.0
    /// does not say which one is the default. Methods that cannot be a default go first, together;
    /// those that can (software OATH, phones, Microsoft Authenticator) go after them (however the
    /// first ones ended), also together. The one Graph refuses as the default waits until the other
    /// methods are gone, then goes last. The mobile phone waits for the alternate mobile phone,
    /// which Graph requires.
    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        let deletable = planning.snapshot.authMethods.filter(\.deletable)
        let others = deletable.filter { !$0.canBeDefault }
        let defaults = deletable.filter(\.canBeDefault)
        let first = others.map { StepID(kind, target: $0.id) }
        for method in others + defaults {
            var runsAfter = method.canBeDefault ? first : []
            if method.isMobilePhone, let alternate = defaults.first(where: \.isAlternateMobilePhone) {
                runsAfter.append(StepID(kind, target: alternate.id))
            }
            planning.add(
                step(
                    target: method.id, title: "Remove authentication method: \(method.label)",
                    parameters: Parameters(method: method, siblings: deletable.map(\.id).filter { $0 != method.id }),
                    runsAfter: runsAfter))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.authenticationMethodIds(context.userId).contains(parameters.method.id) ? nil : "the method is already gone"
    }

    /// The plan names the method and its kind, so it is deleted straight away; Graph answers 204 only
    /// once it is gone, and 404 when it already was.
    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        var result = try await context.tenant.deleteAuthenticationMethod(context.userId, parameters.method)
        var note: String?
        if result == .refusedAsDefault {
            let deadline = context.now().addingTimeInterval(siblingWait)
            var interval = Duration.milliseconds(250)
            while try await context.tenant.authenticationMethodIds(context.userId).contains(where: parameters.siblings.contains) {
                guard context.now() < deadline else {
                    throw StepFailure(
                        "Graph refuses to delete \(parameters.method.label): it is the default method, and the other methods are still there after \(Int(siblingWait)) s"
                    )
                }
                try await context.sleep(interval)
                interval = min(interval * 2, .seconds(4))
            }
            result = try await context.tenant.deleteAuthenticationMethod(context.userId, parameters.method)
            guard result != .refusedAsDefault else {
                throw StepFailure("Graph still refuses to delete \(parameters.method.label) as the default method")
            }
            note = "the default method: removed once the others were gone"
        }
        // Graph answers 204 only once the method is gone, and 404 when it already was.
        return StepOutcome(
            before: parameters.method.label, after: result == .removed ? "removed" : "already removed", note: note,
            beforeState: .encoding(parameters.method), verification: .byResponse)
    }
}

extension AuthMethodInfo {
    var isAlternateMobilePhone: Bool { isPhone && label.lowercased().contains("alternatemobile") }
    var isMobilePhone: Bool { isPhone && !isAlternateMobilePhone && label.lowercased().contains("mobile") }

    /// Whether Entra can use it as the default second factor (push, OATH code, voice or SMS).
    public var canBeDefault: Bool {
        isPhone || type.hasSuffix("microsoftAuthenticatorAuthenticationMethod") || type.hasSuffix("softwareOathAuthenticationMethod")
    }
}
