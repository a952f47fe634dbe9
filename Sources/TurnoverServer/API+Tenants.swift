import Foundation
import MicrosoftGraph
import OpenAPIRuntime
import TurnoverCore
import TurnoverEngine
import TurnoverStore

extension APIHandler {
    static func schema(_ tenant: StoredTenant, withPolicy: Bool) -> Components.Schemas.Tenant {
        .init(
            name: tenant.name, tenantId: tenant.tenantId, clientId: tenant.clientId, cloud: tenant.cloud,
            credential: tenant.sealedCertificate != nil ? .certificate : .secret, hasPolicy: tenant.policyYAML != nil,
            policyYAML: withPolicy ? tenant.policyYAML : nil)
    }

    func listTenants(_ input: Operations.ListTenants.Input) async throws -> Operations.ListTenants.Output {
        let principal = try Principal.required()
        let limit = Self.pageLimit(input.query.limit)
        let visible = try await store.tenants().filter { principal.sees($0.name) && $0.name > (input.query.cursor ?? "") }
        let page = Array(visible.prefix(limit))
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: page.map { Self.schema($0, withPolicy: false) },
                        nextCursor: visible.count > limit ? page.last?.name : nil))))
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        .ok(.init(body: .json(Self.schema(try await visibleTenant(input.path.tenant), withPolicy: true))))
    }

    func addTenant(_ input: Operations.AddTenant.Input) async throws -> Operations.AddTenant.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        guard body.name.range(of: "^[A-Za-z0-9._-]{1,100}$", options: .regularExpression) != nil else {
            throw APIProblem.badRequest("A tenant's name is letters, digits and . _ - (up to 100).")
        }
        guard try await store.tenant(named: body.name) == nil else { throw APIProblem.conflict("There is already a tenant \(body.name).") }
        guard (body.clientSecret == nil) != (body.certificatePEM == nil) else {
            throw APIProblem.badRequest("Give exactly one of clientSecret or certificatePEM.")
        }
        let cloud = body.cloud?.rawValue ?? "global"
        if cloud == "simulator" {
            guard let url = body.simulatorURL.flatMap(URL.init(string:)), url.scheme == "http" || url.scheme == "https", url.host != nil
            else {
                throw APIProblem.badRequest("A simulator tenant needs simulatorURL, such as http://127.0.0.1:8765.")
            }
        }
        if let pem = body.certificatePEM, !(pem.contains("BEGIN CERTIFICATE") && pem.contains("PRIVATE KEY")) {
            throw APIProblem.badRequest("certificatePEM must hold the certificate and its private key, PEM.")
        }
        if let yaml = body.policyYAML { _ = try Policy.parse(yaml: yaml) }
        let secrets = clients.workspace.secrets
        let tenant = StoredTenant(
            name: body.name, tenantId: body.tenantId, clientId: body.clientId, cloud: cloud,
            simulatorURL: cloud == "simulator" ? body.simulatorURL : nil, sealedSecret: try body.clientSecret.map(secrets.seal),
            sealedCertificate: try body.certificatePEM.map(secrets.seal), policyYAML: body.policyYAML, createdAt: now)
        // A tenant is registered only once its app can sign in: a typo in an id or a secret is found
        // now, not in the middle of someone's offboarding.
        do {
            _ = try await clients.client(for: tenant).grantedPermissions(.graph)
        } catch {
            throw APIProblem.unprocessable("The app could not sign in to tenant \(body.tenantId): \(error). The tenant was not saved.")
        }
        try await store.saveTenant(tenant)
        try await store.appendAudit(
            AuditEvent(actor: principal.name.rawValue, action: "tenant.added", tenant: tenant.name, detail: "\(cloud), \(tenant.tenantId)"),
            at: now)
        return .created(.init(body: .json(Self.schema(tenant, withPolicy: true))))
    }

    func setTenantPolicy(_ input: Operations.SetTenantPolicy.Input) async throws -> Operations.SetTenantPolicy.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        var tenant = try await visibleTenant(input.path.tenant)
        _ = try Policy.parse(yaml: body.yaml)
        let before = tenant.policyYAML ?? ""
        tenant.policyYAML = body.yaml
        try await store.saveTenant(tenant)
        try await store.appendAudit(
            AuditEvent(
                actor: principal.name.rawValue, action: "policy.changed", tenant: tenant.name,
                detail: "\(before.split(separator: "\n").count) lines → \(body.yaml.split(separator: "\n").count) lines"), at: now)
        return .ok(.init(body: .json(Self.schema(tenant, withPolicy: true))))
    }

    func readTicket(_ input: Operations.ReadTicket.Input) async throws -> Operations.ReadTicket.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let tenant = try await visibleTenant(input.path.tenant)
        let ticket = TicketText(
            subject: body.subject, body: body.body, fields: body.fields?.additionalProperties ?? [:], receivedAt: body.receivedAt ?? now)
        let reading = try await TicketIntake(clients: clients).read(ticket, tenant: tenant)
        let draft = reading.draft
        return .ok(
            .init(
                body: .json(
                    .init(
                        ready: draft.isReady, extraction: try Self.freeForm(reading.extraction),
                        draft: .init(
                            userPrincipalName: draft.userPrincipalName, overrides: draft.overrides, lastDay: draft.lastDay,
                            runsNow: draft.runsNow, blockers: draft.blockers, instructions: draft.instructions),
                        directorySize: reading.directorySize))))
    }

    func testTenantPermissions(_ input: Operations.TestTenantPermissions.Input) async throws -> Operations.TestTenantPermissions.Output {
        let tenant = try await visibleTenant(input.path.tenant)
        let result = try await clients.service(for: tenant).testPermissions()
        return .ok(
            .init(
                body: .json(
                    .init(
                        graph: result.graph, exchange: result.exchange,
                        steps: result.checks.map {
                            .init(kind: $0.kind.rawValue, granted: $0.isGranted, requirement: "\($0.requirement)", missing: $0.missing)
                        }))))
    }

    // MARK: Users and plans

    func searchUsers(_ input: Operations.SearchUsers.Input) async throws -> Operations.SearchUsers.Output {
        let tenant = try await visibleTenant(input.path.tenant)
        let client = try clients.client(for: tenant)
        var nextLink: String?
        if let cursor = input.query.cursor {
            guard let data = Data(base64Encoded: cursor), let link = String(data: data, encoding: .utf8), client.isOwnLink(link) else {
                throw APIProblem.badRequest("The cursor is not one this API gave out; start from the first page.")
            }
            nextLink = link
        }
        let page = try await client.searchUsers(input.query.search ?? "", top: Self.pageLimit(input.query.limit), nextLink: nextLink)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: page.users.map {
                            .init(
                                id: $0.id, userPrincipalName: $0.userPrincipalName ?? "", displayName: $0.displayName ?? "",
                                accountEnabled: $0.accountEnabled)
                        },
                        nextCursor: page.nextLink.map { Data($0.utf8).base64EncodedString() }))))
    }

    func getUser(_ input: Operations.GetUser.Input) async throws -> Operations.GetUser.Output {
        let tenant = try await visibleTenant(input.path.tenant)
        let policy = try clients.policy(for: tenant, overrides: [])
        let snapshot = try await clients.service(for: tenant).liveState(input.path.upn, policy: policy)
        return .ok(.init(body: .json(try Self.freeForm(snapshot))))
    }

    func createPlan(_ input: Operations.CreatePlan.Input) async throws -> Operations.CreatePlan.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let tenant = try await visibleTenant(input.path.tenant)
        let policy = try clients.policy(for: tenant, overrides: body.overrides ?? [])
        let proposal = try await clients.service(for: tenant).plan(body.userPrincipalName, policy: policy)
        return .ok(.init(body: .json(try Self.freeForm(proposal.plan))))
    }
}
