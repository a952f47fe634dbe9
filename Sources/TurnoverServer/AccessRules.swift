public import TurnoverCore

/// Who may call each operation of the REST API, by the operation id in `openapi.yaml`.
///
/// An operation with no rule here is refused to everyone (and fails the RBAC matrix test), so a new
/// route cannot be reachable before someone decided who may use it. Tenant scope is checked by the
/// handlers, on the tenant of the object they touch.
public enum AccessRules {
    public enum Rule: Sendable, Equatable {
        /// No credential needed (signing in).
        case open
        /// Any signed-in operator, whatever their roles.
        case signedIn
        /// Operators holding at least one of these roles.
        case roles(Set<Role>)
    }

    static let readers: Set<Role> = [.admin, .technician, .approver, .auditor]

    public static let table: [String: Rule] = [
        "signIn": .open,
        "signOut": .signedIn,
        "whoAmI": .signedIn,
        "changePassword": .signedIn,
        "listTenants": .roles(readers),
        "getTenant": .roles(readers),
        "addTenant": .roles([.admin]),
        "setTenantPolicy": .roles([.admin]),
        "testTenantPermissions": .roles([.admin, .technician]),
        "readTicket": .roles([.admin, .technician]),
        "importPSATicket": .roles([.admin, .technician]),
        "listPSAImports": .roles(readers),
        "listPSAConnections": .roles(readers),
        "savePSAConnection": .roles([.admin]),
        "removePSAConnection": .roles([.admin]),
        "searchUsers": .roles(readers),
        "getUser": .roles(readers),
        "createPlan": .roles([.admin, .technician]),
        "listOffboardings": .roles(readers),
        "getOffboarding": .roles(readers),
        "getOffboardingReport": .roles(readers),
        "getOffboardingEvidence": .roles(readers),
        "listOffboardingNotifications": .roles(readers),
        "streamOffboardingEvents": .roles(readers),
        "submitOffboarding": .roles([.admin, .technician]),
        "submitUndo": .roles([.admin, .technician]),
        "approveOffboarding": .roles([.admin, .approver]),
        "rejectOffboarding": .roles([.admin, .approver]),
        "cancelOffboarding": .roles([.admin, .technician, .approver]),
        "holdOffboarding": .roles([.admin, .technician, .approver]),
        "releaseOffboarding": .roles([.admin, .technician, .approver]),
        "listOperators": .roles([.admin]),
        "addOperator": .roles([.admin]),
        "disableOperator": .roles([.admin]),
        "listTokens": .signedIn,
        "createToken": .signedIn,
        "revokeToken": .signedIn,
        "listAuditEntries": .roles([.admin, .auditor]),
        "verifyAuditChain": .roles([.admin, .auditor]),
    ]

    /// Refuses `principal` an operation its rule does not allow. The REST API and the web console
    /// both ask here, so a page is open to exactly the operators its operation is.
    static func check(_ principal: Principal, operation: String) throws(APIProblem) {
        guard let rule = table[operation] else {
            throw APIProblem.forbidden("No access rule covers \(operation); it is refused to everyone until one does.")
        }
        guard case .roles(let allowed) = rule, !principal.hasAny(allowed) else { return }
        throw APIProblem.forbidden(
            "This needs the role \(allowed.map(\.rawValue).sorted().joined(separator: " or ")); you hold \(principal.roles.map(\.rawValue).sorted().joined(separator: ", "))."
        )
    }
}
