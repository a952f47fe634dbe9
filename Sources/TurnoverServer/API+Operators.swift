import Foundation
import OpenAPIRuntime
import TurnoverCore
public import TurnoverStore

extension APIHandler {
    func listOperators(_ input: Operations.ListOperators.Input) async throws -> Operations.ListOperators.Output {
        let limit = Self.pageLimit(input.query.limit)
        let all = try await store.operators().filter { $0.name.rawValue > (input.query.cursor ?? "") }
        let page = Array(all.prefix(limit))
        return .ok(.init(body: .json(.init(items: page.map(Self.schema), nextCursor: all.count > limit ? page.last?.name.rawValue : nil))))
    }

    func addOperator(_ input: Operations.AddOperator.Input) async throws -> Operations.AddOperator.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let created = try await accounts.addOperator(
            name: OperatorName(body.name), roles: Self.roles(body.roles), tenants: body.tenants ?? [], email: body.email)
        try await store.appendAudit(
            AuditEvent(
                actor: principal.name.rawValue, action: "operator.added", subject: body.name,
                detail:
                    "roles \(created.record.roles.map(\.rawValue).joined(separator: ",")); tenants \(created.record.tenants.isEmpty ? "all" : created.record.tenants.joined(separator: ","))"
            ), at: now)
        return .created(
            .init(
                body: .json(
                    .init(
                        _operator: Self.schema(created.record), initialPassword: created.initialPassword, totpSecret: created.totpSecret,
                        totpURL: created.totpURL))))
    }

    func disableOperator(_ input: Operations.DisableOperator.Input) async throws -> Operations.DisableOperator.Output {
        let principal = try Principal.required()
        guard var record = try await store.operatorRecord(named: OperatorName(input.path.name)) else {
            throw APIProblem.notFound("No operator \(input.path.name).")
        }
        guard record.name != principal.name else { throw APIProblem.conflict("You cannot disable yourself; ask another admin.") }
        record.disabled = true
        try await store.saveOperator(record)
        try await store.appendAudit(
            AuditEvent(actor: principal.name.rawValue, action: "operator.disabled", subject: record.name.rawValue), at: now)
        return .noContent(.init())
    }

    static func schema(_ token: CredentialRecord) -> Components.Schemas.Token {
        .init(
            id: token.id, name: token.name, _operator: token.operator_.rawValue,
            roles: token.roles.compactMap { Components.Schemas.Role(rawValue: $0.rawValue) }, tenants: token.tenants,
            createdAt: token.createdAt, expiresAt: token.expiresAt, revoked: token.revoked)
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let principal = try Principal.required()
        let limit = Self.pageLimit(input.query.limit)
        let all = try await store.credentials(operator: principal.has(.admin) ? nil : principal.name).filter {
            $0.kind == .apiToken && $0.id > (input.query.cursor ?? "")
        }
        let page = Array(all.prefix(limit))
        return .ok(.init(body: .json(.init(items: page.map(Self.schema), nextCursor: all.count > limit ? page.last?.id : nil))))
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let (secret, record) = try await accounts.createToken(
            for: try Principal.required(), name: body.name, roles: body.roles.map(Self.roles), tenants: body.tenants,
            days: body.expiresInDays ?? 90)
        return .created(.init(body: .json(.init(token: Self.schema(record), secret: secret))))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        try await accounts.revoke(input.path.id, by: try Principal.required())
        return .noContent(.init())
    }

    // MARK: Audit

    func listAuditEntries(_ input: Operations.ListAuditEntries.Input) async throws -> Operations.ListAuditEntries.Output {
        let limit = Self.pageLimit(input.query.limit)
        let entries = try await store.auditEntries(after: input.query.after ?? 0, limit: limit + 1)
        let page = Array(entries.prefix(limit))
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: page.map {
                            .init(
                                sequence: $0.sequence, at: $0.at, actor: $0.actor, action: $0.action, tenant: $0.tenant,
                                subject: $0.subject,
                                detail: $0.detail, previousHash: $0.previousHash, hash: $0.hash)
                        }, nextCursor: entries.count > limit ? page.last.map { String($0.sequence) } : nil))))
    }

    func verifyAuditChain(_ input: Operations.VerifyAuditChain.Input) async throws -> Operations.VerifyAuditChain.Output {
        let verification = try await AuditVerifier.verify(store)
        return .ok(
            .init(
                body: .json(
                    .init(
                        intact: verification.isIntact, entries: verification.entries, firstBadSequence: verification.firstBad?.sequence,
                        problem: verification.firstBad?.problem))))
    }
}

/// Reads the whole audit log page by page and verifies its chain.
public enum AuditVerifier {
    public static func verify(_ store: any TurnoverStore) async throws -> AuditChain.Verification {
        AuditChain.verify(try await allEntries(store))
    }

    /// The whole audit log, in sequence order.
    public static func allEntries(_ store: any TurnoverStore) async throws -> [AuditEntry] {
        var all: [AuditEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await store.auditEntries(after: after, limit: 1000)
            all += page
            guard let last = page.last, page.count == 1000 else { break }
            after = last.sequence
        }
        return all
    }
}
