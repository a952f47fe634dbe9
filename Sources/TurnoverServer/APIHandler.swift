import Foundation
import OpenAPIRuntime
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// The REST API's operations, as `openapi.yaml` declares them (the generated `APIProtocol`). The
/// middleware has authenticated the caller and checked the operation's role before any of these
/// runs; each handler checks the tenant scope of what it touches.
struct APIHandler: APIProtocol {
    let desk: OffboardingDesk
    let accounts: OperatorAccounts
    let psa: PSADesk

    var clients: TenantClients { desk.clients }
    var store: any TurnoverStore { desk.store }
    var now: Date { desk.now() }

    /// A stored tenant the caller may see; any other answers 404, whether it exists or not.
    func visibleTenant(_ name: String) async throws -> StoredTenant {
        let principal = try Principal.required()
        try principal.requireTenant(name)
        return try await desk.tenant(name)
    }

    /// An offboarding the caller may see.
    func visibleOffboarding(_ id: String) async throws -> (request: OffboardingRequest, version: Int) {
        let principal = try Principal.required()
        let found = try await desk.offboarding(OffboardingID(id))
        guard principal.sees(found.request.tenant) else { throw APIProblem.notFound("No offboarding \(id).") }
        return found
    }

    static func pageLimit(_ limit: Int?) -> Int { min(max(limit ?? 50, 1), 200) }

    /// Any encodable value as the schema's free-form object, encoded as `--json` prints it.
    static func freeForm(_ value: some Encodable) throws -> Components.Schemas.FreeForm {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        return try decoder.decode(Components.Schemas.FreeForm.self, from: try encoder.encode(value))
    }

    // MARK: Sessions

    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let (secret, credential, record) = try await accounts.signIn(
            name: OperatorName(body.name), password: body.password, totp: body.totp, newPassword: body.newPassword)
        return .created(.init(body: .json(.init(token: secret, expiresAt: credential.expiresAt, _operator: Self.schema(record)))))
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        let principal = try Principal.required()
        try await accounts.revoke(principal.credentialId, by: principal)
        return .noContent(.init())
    }

    func whoAmI(_ input: Operations.WhoAmI.Input) async throws -> Operations.WhoAmI.Output {
        let principal = try Principal.required()
        guard let record = try await store.operatorRecord(named: principal.name) else { throw APIProblem.notFound("Unknown operator.") }
        var schema = Self.schema(record)
        schema.roles = principal.roles.sorted().compactMap { Components.Schemas.Role(rawValue: $0.rawValue) }
        schema.tenants = principal.tenants.sorted()
        return .ok(.init(body: .json(schema)))
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        try await accounts.changePassword(try Principal.required(), current: body.currentPassword, new: body.newPassword)
        return .noContent(.init())
    }

    static func schema(_ record: OperatorRecord) -> Components.Schemas.Operator {
        .init(
            name: record.name.rawValue, roles: record.roles.compactMap { Components.Schemas.Role(rawValue: $0.rawValue) },
            tenants: record.tenants, disabled: record.disabled, mustChangePassword: record.mustChangePassword,
            totpRequired: OperatorAccounts.needsSecondFactor(record.roles), email: record.email)
    }

    static func roles(_ roles: [Components.Schemas.Role]) -> [Role] { roles.compactMap { Role(rawValue: $0.rawValue) } }
}
