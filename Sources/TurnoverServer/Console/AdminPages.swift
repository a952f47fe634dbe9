import Foundation
import Hummingbird
import TurnoverCore
import TurnoverStore

/// Operators and API tokens (an admin's), and the audit log with its chain's verification (an
/// auditor's).
enum AdminPages {
    static func register(_ console: Console, on router: Router<BasicRequestContext>) {
        console.add(router, .get, "/operators", operation: "listOperators", operators)
        console.add(router, .post, "/operators", operation: "addOperator", addOperator)
        console.add(router, .post, "/operators/:name/disable", operation: "disableOperator", disableOperator)
        console.add(router, .get, "/tokens", operation: "listTokens", tokens)
        console.add(router, .post, "/tokens", operation: "createToken", createToken)
        console.add(router, .post, "/tokens/:id/revoke", operation: "revokeToken", revokeToken)
        console.add(router, .get, "/audit", operation: "listAuditEntries", audit)
    }

    // MARK: Operators

    struct OperatorRow {
        var name: String
        var roles: String
        var tenants: String
        var state: String
        var canDisable: Bool
    }

    struct RoleChoice {
        var value: String
        var checked: Bool
    }

    struct OperatorsView {
        var operators: [OperatorRow]
        var roles: [RoleChoice]
        var name: String
        var tenants: String
        var error: String?
        var created: Created?

        struct Created {
            var name: String
            var password: String
            var totpSecret: String?
            var totpURL: String?
        }
    }

    static func operatorsView(_ console: Console, _ visit: Console.Visit) async throws -> OperatorsView {
        let all = try await console.store.operators()
        return OperatorsView(
            operators: all.map { record in
                OperatorRow(
                    name: record.name.rawValue, roles: record.roles.map(\.rawValue).joined(separator: ", "),
                    tenants: record.tenants.isEmpty ? "all" : record.tenants.joined(separator: ", "),
                    state: record.disabled ? "disabled" : record.mustChangePassword ? "initial password" : "active",
                    canDisable: !record.disabled && record.name != visit.principal.name)
            }, roles: [Role.technician, .approver, .auditor, .admin].map { RoleChoice(value: $0.rawValue, checked: false) }, name: "",
            tenants: "", error: nil, created: nil)
    }

    static func operators(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        .page("operators", title: "Operators", try await operatorsView(console, visit))
    }

    static func addOperator(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let chosen = Set(visit.form.all("role"))
        let tenants = (visit.form["tenants"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        do {
            let body = Components.Schemas.NewOperator(
                name: visit.form["name"] ?? "", roles: chosen.sorted().compactMap(Components.Schemas.Role.init(rawValue:)),
                tenants: tenants.isEmpty ? nil : tenants)
            let created = try await console.api.addOperator(.init(body: .json(body))).created.body.json
            var view = try await operatorsView(console, visit)
            view.created = .init(
                name: created._operator.name, password: created.initialPassword, totpSecret: created.totpSecret, totpURL: created.totpURL)
            return .page("operators", title: "Operators", view, status: .created)
        } catch {
            var view = try await operatorsView(console, visit)
            let problem = APIMiddleware.problem(for: error)
            view.error = problem.detail
            view.name = visit.form["name"] ?? ""
            view.tenants = visit.form["tenants"] ?? ""
            view.roles = view.roles.map { RoleChoice(value: $0.value, checked: chosen.contains($0.value)) }
            return .page("operators", title: "Operators", view, status: .init(code: problem.status))
        }
    }

    static func disableOperator(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        _ = try await console.api.disableOperator(.init(path: .init(name: visit.parameter("name")))).noContent
        return .redirect("/operators")
    }

    // MARK: API tokens

    struct TokenRow {
        var id: String
        var name: String
        var owner: String
        var roles: String
        var expires: String
        var revoked: Bool
    }

    struct TokensView {
        var tokens: [TokenRow]
        var created: Created?
        var error: String?

        struct Created {
            var name: String
            var secret: String
        }
    }

    static func tokensView(_ console: Console, _ visit: Console.Visit) async throws -> TokensView {
        let page = try await console.api.listTokens(.init(query: .init(limit: 200))).ok.body.json
        return TokensView(
            tokens: page.items.map {
                TokenRow(
                    id: $0.id, name: $0.name, owner: $0._operator, roles: $0.roles.map(\.rawValue).joined(separator: ", "),
                    expires: ConsoleFormat.when($0.expiresAt), revoked: $0.revoked)
            }, created: nil, error: nil)
    }

    static func tokens(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        .page("tokens", title: "API tokens", try await tokensView(console, visit))
    }

    static func createToken(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        do {
            guard let name = visit.form["name"] else { throw APIProblem.badRequest("Name the token after the script that will use it.") }
            let days = Int(visit.form["days"] ?? "90") ?? 0
            let created = try await console.api.createToken(.init(body: .json(.init(name: name, expiresInDays: days)))).created.body.json
            var view = try await tokensView(console, visit)
            view.created = .init(name: created.token.name, secret: created.secret)
            return .page("tokens", title: "API tokens", view, status: .created)
        } catch {
            var view = try await tokensView(console, visit)
            let problem = APIMiddleware.problem(for: error)
            view.error = problem.detail
            return .page("tokens", title: "API tokens", view, status: .init(code: problem.status))
        }
    }

    static func revokeToken(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        _ = try await console.api.revokeToken(.init(path: .init(id: visit.parameter("id")))).noContent
        return .redirect("/tokens")
    }

    // MARK: Audit log

    struct AuditRow {
        var sequence: Int64
        var when: String
        var actor: String
        var action: String
        var tenant: String
        var subject: String
        var detail: String
        var hash: String
    }

    struct AuditView {
        var intact: Bool
        var entries: Int64
        var problem: String?
        var firstBad: Int64?
        var rows: [AuditRow]
        var nextHref: String?
        var firstHref: String?
    }

    static func audit(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        try AccessRules.check(visit.principal, operation: "verifyAuditChain")
        let verification = try await AuditVerifier.verify(console.store)
        let after = Int64(visit.query["after"] ?? "0") ?? 0
        let entries = try await console.store.auditEntries(after: after, limit: 51)
        let page = Array(entries.prefix(50))
        return .page(
            "audit", title: "Audit log",
            AuditView(
                intact: verification.isIntact, entries: verification.entries, problem: verification.firstBad?.problem,
                firstBad: verification.firstBad?.sequence,
                rows: page.map {
                    AuditRow(
                        sequence: $0.sequence, when: ConsoleFormat.when($0.at), actor: $0.actor, action: $0.action, tenant: $0.tenant ?? "",
                        subject: $0.subject ?? "", detail: $0.detail, hash: String($0.hash.prefix(12)))
                }, nextHref: entries.count > 50 ? page.last.map { "/audit?after=\($0.sequence)" } : nil,
                firstHref: after > 0 ? "/audit" : nil))
    }
}
