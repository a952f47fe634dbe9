public import TurnoverCore

/// Who is calling, once their bearer credential checked out: an operator, with the roles and
/// tenants that credential carries (a subset of the operator's own).
public struct Principal: Sendable, Equatable {
    public var name: OperatorName
    public var roles: Set<Role>
    /// Empty means every tenant.
    public var tenants: Set<String>
    public var credentialId: String

    @TaskLocal static var current: Principal?

    public func has(_ role: Role) -> Bool { roles.contains(role) }
    public func hasAny(_ wanted: Set<Role>) -> Bool { !roles.isDisjoint(with: wanted) }

    /// Whether the tenant is in scope. A tenant out of scope is answered as not found, so its
    /// existence does not leak.
    public func sees(_ tenant: String) -> Bool { tenants.isEmpty || tenants.contains(tenant) }

    func requireTenant(_ tenant: String) throws(APIProblem) {
        guard sees(tenant) else { throw APIProblem.notFound("No tenant '\(tenant)'.") }
    }

    /// The caller, inside an operation the middleware authenticated.
    static func required() throws(APIProblem) -> Principal {
        guard let current else { throw APIProblem(status: 401, title: "Not signed in", detail: "Present a bearer token.") }
        return current
    }
}
