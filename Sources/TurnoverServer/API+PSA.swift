import Foundation
import OpenAPIRuntime
import PSAClients
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// PSA connections and ticket imports.
extension APIHandler {
    func listPSAConnections(_ input: Operations.ListPSAConnections.Input) async throws -> Operations.ListPSAConnections.Output {
        .ok(.init(body: .json(.init(items: try await store.psaConnections().map(Self.schema)))))
    }

    func savePSAConnection(_ input: Operations.SavePSAConnection.Input) async throws -> Operations.SavePSAConnection.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        guard let kind = PSAKind(rawValue: body.kind.rawValue) else { throw APIProblem.badRequest("Unknown PSA kind.") }
        let connection = PSAConnection(
            kind: kind, url: body.url, clientId: body.clientId, account: body.account, username: body.username, secret: body.secret,
            authURL: body.authUrl)
        do {
            let saved = try await psa.saveConnection(named: input.path.name, connection, by: principal.name.rawValue)
            return .ok(.init(body: .json(Self.schema(saved))))
        } catch let refusal as PSADesk.Refusal {
            throw APIProblem(status: 422, title: "Refused", detail: refusal.description)
        }
    }

    func removePSAConnection(_ input: Operations.RemovePSAConnection.Input) async throws -> Operations.RemovePSAConnection.Output {
        let principal = try Principal.required()
        guard try await psa.removeConnection(named: input.path.name, by: principal.name.rawValue) else {
            throw APIProblem.notFound("No PSA connection '\(input.path.name)'.")
        }
        return .noContent(.init())
    }

    func importPSATicket(_ input: Operations.ImportPSATicket.Input) async throws -> Operations.ImportPSATicket.Output {
        let principal = try Principal.required()
        let tenant = try await visibleTenant(input.path.tenant)
        do {
            let imported = try await psa.importTicket(
                input.path.ticket, tenant: tenant.name, by: principal.name.rawValue, claim: "operator:\(principal.name.rawValue)",
                again: true)
            var schema = Self.schema(imported.record, alreadyImported: imported.alreadyImported)
            if let reading = imported.reading {
                let draft = reading.draft
                schema.reading = .init(
                    ready: draft.isReady, extraction: try Self.freeForm(reading.extraction),
                    draft: .init(
                        userPrincipalName: draft.userPrincipalName, overrides: draft.overrides, lastDay: draft.lastDay,
                        runsNow: draft.runsNow, blockers: draft.blockers, instructions: draft.instructions),
                    directorySize: reading.directorySize)
            }
            return .ok(.init(body: .json(schema)))
        } catch let refusal as PSADesk.Refusal {
            // The PSA's own refusal (credentials, a missing ticket, an outage) is a bad gateway: the
            // request was fine, the system behind it said no.
            if let error = refusal.psaError, error.kind != .notFound {
                throw APIProblem(status: 502, title: "The PSA refused", detail: refusal.description)
            }
            throw APIProblem(status: refusal.psaError?.kind == .notFound ? 404 : 422, title: "Refused", detail: refusal.description)
        }
    }

    func listPSAImports(_ input: Operations.ListPSAImports.Input) async throws -> Operations.ListPSAImports.Output {
        let tenant = try await visibleTenant(input.path.tenant)
        let imports = try await store.psaImports(tenant: tenant.name, limit: input.query.limit ?? 100)
        return .ok(.init(body: .json(.init(items: imports.map { Self.schema($0, alreadyImported: false) }))))
    }

    static func schema(_ record: StoredPSAConnection) -> Components.Schemas.PSAConnection {
        .init(
            name: record.name, kind: .init(rawValue: record.kind) ?? .halopsa, url: record.url, clientId: record.clientId,
            account: record.account, username: record.username, authUrl: record.authURL, verifiedAs: record.verifiedAs,
            createdAt: record.createdAt)
    }

    static func schema(_ record: PSAImport, alreadyImported: Bool) -> Components.Schemas.PSAImport {
        .init(
            connection: record.connection, ticket: record.ticket, tenant: record.tenant,
            outcome: .init(rawValue: record.outcome.rawValue) ?? .failed, at: record.at, summary: record.summary,
            offboarding: record.offboarding?.rawValue, detail: record.detail, alreadyImported: alreadyImported)
    }
}
