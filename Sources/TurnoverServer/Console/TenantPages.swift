import Foundation
import Hummingbird
import MicrosoftGraph
import NIOCore
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// Tenants: the list, adding one (then its permission test as a table of steps × permissions),
/// its policy edited as YAML (validated with line numbers, and a diff before saving), and a search
/// of its users.
enum TenantPages {
    static func register(_ console: Console, on router: Router<BasicRequestContext>) {
        console.add(router, .get, "/tenants", operation: "listTenants", list)
        console.add(router, .get, "/tenants/new", operation: "addTenant") { _, _ in
            .page("tenant-new", title: "Add a tenant", NewTenantView())
        }
        console.add(router, .post, "/tenants", operation: "addTenant", add)
        console.add(router, .get, "/tenants/:tenant", operation: "getTenant", show)
        console.add(router, .get, "/tenants/:tenant/permissions", operation: "testTenantPermissions", permissions)
        console.add(router, .get, "/tenants/:tenant/policy", operation: "setTenantPolicy", editPolicy)
        console.add(router, .post, "/tenants/:tenant/policy", operation: "setTenantPolicy", reviewPolicy)
        console.add(router, .get, "/tenants/:tenant/users", operation: "searchUsers", users)
        console.add(router, .get, "/people", operation: "searchUsers", people)
    }

    struct TenantRow {
        var name: String
        var href: String
        var tenantId: String
        var cloud: String
        var credential: String
        var hasPolicy: Bool
    }

    static func row(_ tenant: StoredTenant) -> TenantRow {
        TenantRow(
            name: tenant.name, href: "/tenants/\(tenant.name)", tenantId: tenant.tenantId, cloud: tenant.cloud,
            credential: tenant.sealedCertificate != nil ? "certificate" : "client secret", hasPolicy: tenant.policyYAML != nil)
    }

    struct ListView {
        var tenants: [TenantRow]
        var canAdd: Bool
    }

    static func list(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenants = try await console.store.tenants().filter { visit.principal.sees($0.name) }
        return .page("tenants", title: "Tenants", ListView(tenants: tenants.map(row), canAdd: visit.may("addTenant")))
    }

    struct TenantView {
        var tenant: TenantRow
        var policyLines: Int
        var canEditPolicy: Bool
        var canTest: Bool
        var canOffboard: Bool
        var saved: Bool
    }

    static func show(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        return .page(
            "tenant", title: tenant.name,
            TenantView(
                tenant: row(tenant), policyLines: tenant.policyYAML?.split(separator: "\n").count ?? 0,
                canEditPolicy: visit.may("setTenantPolicy"), canTest: visit.may("testTenantPermissions"),
                canOffboard: visit.may("createPlan"),
                saved: visit.query.has("saved")))
    }

    // MARK: Adding a tenant

    struct NewTenantView {
        var name = ""
        var tenantId = ""
        var clientId = ""
        var simulatorURL = ""
        var clouds: [Choice] = Self.choices(selected: "global")
        var error: String?

        struct Choice {
            var value: String
            var label: String
            var selected: Bool
        }

        static func choices(selected: String) -> [Choice] {
            [
                ("global", "Microsoft 365 (worldwide)"), ("usgov", "US Government (GCC High)"), ("dod", "US Government (DoD)"),
                ("china", "Microsoft 365 operated by 21Vianet"), ("simulator", "Turnover's simulator"),
            ].map { Choice(value: $0.0, label: $0.1, selected: $0.0 == selected) }
        }
    }

    static func add(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let form = visit.form
        let cloud = form["cloud"] ?? "global"
        var view = NewTenantView(
            name: form["name"] ?? "", tenantId: form["tenantId"] ?? "", clientId: form["clientId"] ?? "",
            simulatorURL: form["simulatorURL"] ?? "", clouds: NewTenantView.choices(selected: cloud))
        do {
            guard let name = form["name"], let tenantId = form["tenantId"], let clientId = form["clientId"] else {
                throw APIProblem.badRequest("Give the tenant a name, and its tenant id and app (client) id.")
            }
            let body = Components.Schemas.NewTenant(
                name: name, tenantId: tenantId, clientId: clientId, cloud: .init(rawValue: cloud), simulatorURL: form["simulatorURL"],
                clientSecret: form["clientSecret"], certificatePEM: form["certificatePEM"], policyYAML: form["policyYAML"])
            _ = try await console.api.addTenant(.init(body: .json(body))).created
            return .redirect("/tenants/\(name)/permissions?added=1")
        } catch {
            // What was typed stays, but for the secrets, which a page never shows back.
            view.error = APIMiddleware.problem(for: error).detail
            return .page("tenant-new", title: "Add a tenant", view, status: .init(code: APIMiddleware.problem(for: error).status))
        }
    }

    // MARK: Permission test

    struct PermissionView {
        var tenant: String
        var added: Bool
        var columns: [String]
        var rows: [Row]
        var allGranted: Bool
        var missingCount: Int

        struct Row {
            var kind: String
            var title: String
            var requirement: String
            var granted: Bool
            var missing: String
            var cells: [Cell]
        }

        struct Cell {
            /// "granted", "missing" or "" (not needed by this step).
            var state: String
            var mark: String
            var label: String
        }
    }

    static func permissions(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        let result = try await console.desk.clients.service(for: tenant).testPermissions()
        let granted = Set(result.graph + result.exchange)
        var columns: [String] = []
        for check in result.checks { for name in check.requirement.names where !columns.contains(name) { columns.append(name) } }
        columns.sort()
        let rows = result.checks.map { check in
            let needed = Set(check.requirement.names)
            return PermissionView.Row(
                kind: check.kind.rawValue, title: StepRegistry.definition(of: check.kind)?.catalog.title ?? check.kind.rawValue,
                requirement: check.requirement.description, granted: check.isGranted, missing: check.missing.joined(separator: "; "),
                cells: columns.map { column in
                    guard needed.contains(column) else { return .init(state: "", mark: "", label: "not needed") }
                    return granted.contains(column)
                        ? .init(state: "granted", mark: "✓", label: "\(column) granted")
                        : .init(state: "missing", mark: "✗", label: "\(column) missing")
                })
        }
        return .page(
            "permissions", title: "Permissions of \(tenant.name)",
            PermissionView(
                tenant: tenant.name, added: visit.query.has("added"), columns: columns, rows: rows, allGranted: rows.allSatisfy(\.granted),
                missingCount: rows.filter { !$0.granted }.count))
    }

    // MARK: Policy

    struct PolicyView {
        var tenant: String
        var yaml: String
        var errors: [String]
        var numbered: [NumberedLine]
        var diff: [DiffLine]
        var changed: Bool
        var reviewing: Bool
        var hasErrors = false

        struct NumberedLine {
            var number: Int
            var text: String
            var bad: Bool
        }
    }

    struct DiffLine {
        /// "+", "-" or " ".
        var mark: String
        var tone: String
        var text: String
    }

    static func editPolicy(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        return .page(
            "policy", title: "Policy of \(tenant.name)",
            PolicyView(
                tenant: tenant.name, yaml: tenant.policyYAML ?? "", errors: [], numbered: [], diff: [], changed: false, reviewing: false))
    }

    /// "Review" validates and shows the diff; "Save" (from the review) stores it.
    static func reviewPolicy(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        let yaml = visit.form.raw("yaml").replacingOccurrences(of: "\r\n", with: "\n")
        var view = PolicyView(tenant: tenant.name, yaml: yaml, errors: [], numbered: [], diff: [], changed: false, reviewing: false)
        let problems = Self.problems(in: yaml)
        if !problems.isEmpty {
            view.errors = problems.map(\.description)
            view.hasErrors = true
            let bad = Set(problems.compactMap(\.line))
            view.numbered = yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
                PolicyView.NumberedLine(number: $0.offset + 1, text: String($0.element), bad: bad.contains($0.offset + 1))
            }
            return .page("policy", title: "Policy of \(tenant.name)", view, status: .unprocessableContent)
        }
        if visit.form["action"] == "save" {
            _ = try await console.api.setTenantPolicy(.init(path: .init(tenant: tenant.name), body: .json(.init(yaml: yaml)))).ok
            return .redirect("/tenants/\(tenant.name)?saved=1")
        }
        view.diff = lineDiff(from: tenant.policyYAML ?? "", to: yaml)
        view.changed = view.diff.contains { $0.mark != " " }
        view.reviewing = true
        return .page("policy", title: "Policy of \(tenant.name)", view)
    }

    static func problems(in yaml: String) -> [Policy.Problem] {
        do {
            _ = try Policy.parse(yaml: yaml)
            return []
        } catch {
            return error.problems
        }
    }

    /// The lines removed and added between two texts, in order, with the unchanged lines between.
    static func lineDiff(from old: String, to new: String) -> [DiffLine] {
        let before = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let after = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let difference = after.difference(from: before)
        var removed: Set<Int> = []
        var inserted: Set<Int> = []
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var lines: [DiffLine] = []
        var i = 0
        var j = 0
        while i < before.count || j < after.count {
            if i < before.count, removed.contains(i) {
                lines.append(DiffLine(mark: "-", tone: "removed", text: before[i]))
                i += 1
            } else if j < after.count, inserted.contains(j) {
                lines.append(DiffLine(mark: "+", tone: "added", text: after[j]))
                j += 1
            } else {
                if j < after.count { lines.append(DiffLine(mark: " ", tone: "same", text: after[j])) }
                i += 1
                j += 1
            }
        }
        return lines
    }

    // MARK: Users

    struct UserRow {
        var upn: String
        var displayName: String
        var enabled: String
        var offboardHref: String
    }

    struct UsersView {
        var tenant: String
        var search: String
        var users: [UserRow]
        var nextHref: String?
        var firstHref: String?
        var canOffboard: Bool
    }

    static func users(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let name = visit.parameter("tenant")
        let search = visit.query["search"] ?? ""
        let page = try await console.api.searchUsers(
            .init(path: .init(tenant: name), query: .init(search: search, limit: 25, cursor: visit.query["cursor"]))
        ).ok.body.json
        let base = "/tenants/\(name)/users?search=\(FormFields.escape(search))"
        return .page(
            "users", title: "Users of \(name)",
            UsersView(
                tenant: name, search: search,
                users: page.items.map {
                    UserRow(
                        upn: $0.userPrincipalName, displayName: $0.displayName,
                        enabled: $0.accountEnabled == false ? "blocked" : "can sign in",
                        offboardHref: "/offboard/\(name)/plan?user=\(FormFields.escape($0.userPrincipalName))")
                }, nextHref: page.nextCursor.map { base + "&cursor=" + FormFields.escape($0) },
                firstHref: visit.query["cursor"] == nil ? nil : base, canOffboard: visit.may("createPlan")))
    }

    /// The pickers' directory search, as JSON: `[{"upn": …, "name": …}]`.
    static func people(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = visit.query["tenant"] ?? ""
        let page = try await console.api.searchUsers(
            .init(path: .init(tenant: tenant), query: .init(search: visit.query["q"] ?? "", limit: 10))
        ).ok.body.json
        let people = page.items.map { ["upn": $0.userPrincipalName, "name": $0.displayName] }
        let data = try JSONSerialization.data(withJSONObject: people, options: [.sortedKeys])
        return .response(
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(data)))))
    }
}
