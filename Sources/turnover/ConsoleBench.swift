import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdOTP
import M365Simulator
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TurnoverCore
import TurnoverEngine
import TurnoverServer
import TurnoverStore

/// Server time of every web console page, against a generated tenant of many users. serve runs as
/// its own process; the simulator holding the tenant runs in this one. The time is the server's own
/// (its `Server-Timing` header), so the bench's HTTP client does not count.
struct ConsoleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "p50/p95 server time of each web console page, with a generated tenant of --users users.")

    @Option(help: "Users in the generated tenant.") var users = 5_000
    @Option(help: "Requests per page.") var requests = 40
    @Option(help: "Offboardings submitted before measuring (some approved and run), so the lists have rows.")
    var offboardings = 12

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        // Exchange's throttling is off: it would measure the simulator's Retry-After waits while the
        // lists are seeded, not the console.
        var settings = SimulatorSettings()
        settings.throttling.enabled = false
        let simulator = try Simulator(settings: settings)
        let fixture = FixtureGenerator.fixtures(tenants: 1, usersPerTenant: users, seed: 7)[0]
        let summary = try simulator.load(fixture)
        guard let app = summary.apps.first(where: { !$0.displayName.contains("read-only") && !$0.displayName.contains("Graph only") })
        else { throw Failure(description: "no full-access app in the generated tenant") }
        try await simulator.withServer { simulatorURL in
            try await measure(simulatorURL: simulatorURL, summary: summary, app: app, fixture: fixture)
        }
    }

    func measure(simulatorURL: String, summary: Simulator.TenantSummary, app: Simulator.AppSummary, fixture: TenantFixture) async throws {
        let server = try await BenchServer.start(operators: [("bench-admin", .admin), ("bench-approver", .approver)])
        defer { server.stop() }
        let base = server.base, http = server.http
        func api(_ method: HTTPMethod, _ path: String, token: String?, _ body: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
            try await server.call(method, path, token: token, body)
        }
        let admin = server.token("bench-admin"), approver = server.token("bench-approver")
        let tenant = "generated"
        let (added, addedBody) = try await api(
            .POST, "/tenants", token: admin,
            [
                "name": tenant, "tenantId": summary.tenantId, "clientId": app.clientId, "cloud": "simulator", "simulatorURL": simulatorURL,
                "clientSecret": app.clientSecret,
            ])
        guard added == 201 else { throw Failure(description: "adding the generated tenant: \(added) \(addedBody)") }

        // Rows for the lists: offboardings waiting, and a few approved and run to their reports.
        var waiting: [String] = []
        for user in fixture.users.dropFirst(10) where waiting.count < offboardings {
            guard let upn = user.upn else { continue }
            let (status, body) = try await api(.POST, "/offboardings", token: admin, ["tenant": tenant, "userPrincipalName": upn])
            if status == 201, body["status"] as? String == "awaiting-approval", let id = body["id"] as? String { waiting.append(id) }
        }
        guard waiting.count >= 4 else { throw Failure(description: "only \(waiting.count) offboardings could be submitted") }
        let ran = Array(waiting.prefix(3))
        for id in ran { _ = try await api(.POST, "/offboardings/\(id)/approve", token: approver, [:]) }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(600)
        for id in ran {
            while clock.now < deadline {
                let status = try await api(.GET, "/offboardings/\(id)", token: admin).1["status"] as? String ?? ""
                if !["approved", "running"].contains(status) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let done = ran[0]
        let pending = waiting[ran.count]
        let someone = fixture.users[3].upn ?? ""
        let pages: [(String, String)] = [
            ("dashboard", "/"),
            ("tenants", "/tenants"),
            ("tenant", "/tenants/\(tenant)"),
            ("users (search)", "/tenants/\(tenant)/users?search=a"),
            ("users (all, first page)", "/tenants/\(tenant)/users"),
            ("permissions (calls Microsoft)", "/tenants/\(tenant)/permissions"),
            ("policy editor", "/tenants/\(tenant)/policy"),
            ("wizard: tenant", "/offboard"),
            ("wizard: user search", "/offboard/\(tenant)?search=a"),
            ("wizard: plan (reads live state)", "/offboard/\(tenant)/plan?user=\(someone)"),
            ("offboardings", "/offboardings"),
            ("approvals", "/approvals"),
            ("offboarding, awaiting approval", "/offboardings/\(pending)"),
            ("offboarding, completed", "/offboardings/\(done)"),
            ("report (HTML)", "/offboardings/\(done)/report.html"),
            ("operators", "/operators"),
            ("API tokens", "/tokens"),
            ("audit log (verifies the chain)", "/audit"),
        ]
        var rows: [(name: String, total: (Double, Double), own: (Double, Double))] = []
        func percentiles(_ values: [Double]) -> (Double, Double) {
            let sorted = values.sorted()
            return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))])
        }
        for (name, path) in pages {
            var totals: [Double] = []
            var own: [Double] = []
            for _ in 0..<requests {
                var request = HTTPClientRequest(url: base + path)
                request.headers.add(name: "Cookie", value: "turnover_session=\(admin)")
                let response = try await http.execute(request, timeout: .seconds(60))
                _ = try await response.body.collect(upTo: 64 << 20)
                guard response.status == .ok else { throw Failure(description: "\(path) answered \(response.status.code)") }
                // Server-Timing: app;dur=12.3, microsoft;dur=4.5
                var timing: [String: Double] = [:]
                for metric in (response.headers.first(name: "Server-Timing") ?? "").split(separator: ",") {
                    let parts = metric.split(separator: ";dur=")
                    if parts.count == 2, let value = Double(parts[1]) { timing[parts[0].trimmingCharacters(in: .whitespaces)] = value }
                }
                guard let total = timing["app"], let microsoft = timing["microsoft"] else {
                    throw Failure(description: "\(path) answered without Server-Timing")
                }
                totals.append(total)
                own.append(max(0, total - microsoft))
            }
            rows.append((name, percentiles(totals), percentiles(own)))
        }
        let width = rows.map(\.name.count).max() ?? 20
        var report =
            "web console pages, server time over \(requests) requests each (\(ServeBench.buildConfiguration) build, "
            + "\(ProcessInfo.processInfo.activeProcessorCount) cores; generated tenant of \(users) users on the in-process simulator; "
            + "\(waiting.count) offboardings, \(ran.count) run)\n"
            + "  'own' leaves out the time waiting on Microsoft (here the simulator, on the same 2 cores)\n"
        report += "  " + "page".padding(toLength: width, withPad: " ", startingAt: 0) + "   total p50    p95   own p50    p95\n"
        for row in rows {
            report += "  " + row.name.padding(toLength: width, withPad: " ", startingAt: 0)
            report += String(format: "  %9.2f %7.2f  %8.2f %7.2f", row.total.0, row.total.1, row.own.0, row.own.1)
            report += row.own.1 < 100 ? "\n" : "   own time over 100 ms\n"
        }
        output(report)
    }
}
