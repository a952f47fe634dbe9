import AsyncHTTPClient
import Foundation
import M365Simulator
import Testing
import TurnoverStore

/// Two `turnover serve` processes on one PostgreSQL database: how Turnover scales past one machine.
@Suite("Two servers on one PostgreSQL", .enabled(if: ProcessInfo.processInfo.environment["TURNOVER_TEST_POSTGRES"] != nil))
struct SharedDatabaseTests {
    @Test("ten offboardings submitted to two servers: each runs once, every step executed once, both servers work")
    func twoServers() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["TURNOVER_TEST_POSTGRES"])
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresStore.execute("CREATE DATABASE \(name)", url: server)
        let database = server.replacingOccurrences(of: "/postgres?", with: "/\(name)?")

        try await withDemoSimulator { simulator, simulatorURL, http in
            try await Self.exercise(simulator: simulator, simulatorURL: simulatorURL, database: database, http: http)
        }
        print("two servers on one PostgreSQL: ten offboardings, each started once")
    }

    /// Outside the closure: the compiler's sendability pass does not take this body as a closure.
    static func exercise(simulator: Simulator, simulatorURL: String, database: String, http: HTTPClient) async throws {
        // One key for both: each must open the credentials the other sealed.
        let directory = try ServeProcess.newDataDirectory()
        let first = try await ServeProcess(
            dataDirectory: directory, arguments: ["--database", database, "--bootstrap-admin", "root", "--max-runs", "3"])
        let second = try await ServeProcess(dataDirectory: directory, arguments: ["--database", database, "--max-runs", "3"])
        let one = APIClient(baseURL: first.baseURL, http: http)
        let two = APIClient(baseURL: second.baseURL, http: http)
        let team = try await Team.make(first, one)
        try await two.addSimulatorTenant(simulator, url: simulatorURL, token: team.admin)

        let state = try SimulatorState(simulator)
        // Ten plain leavers: enabled members with a mailbox, whose plans have no blocker.
        let candidates = state.users.values.compactMap { $0["userPrincipalName"] as? String }.filter { upn in
            state.accountEnabled(upn) == true && state.mailboxType(upn) == "UserMailbox"
                && state.user(upn)["onPremisesSyncEnabled"] as? Bool != true
        }.sorted()
        let since = simulator.requestLog().last?.sequence ?? 0
        var ids: [String] = []
        // Independent of one another: one leaver's run must not change another's plan (a manager who
        // is also leaving would, and the worker would rightly ask for approval again).
        var chosen: Set<String> = []
        for index in candidates.indices {
            if ids.count == 10 { break }
            let userId = state.userId(candidates[index])
            if let manager = state.user(candidates[index])["managerId"] as? String, chosen.contains(manager) { continue }
            if chosen.contains(where: { state.users[$0]?["managerId"] as? String == userId }) { continue }
            // Submitted and approved through either server: they share one database.
            let api = index.isMultiple(of: 2) ? one : two
            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": candidates[index]])
            let status = submitted.object["status"] as? String
            if status == "awaiting-approval", let id = submitted.object["id"] as? String {
                ids.append(id)
                chosen.insert(userId)
            }
        }
        #expect(ids.count == 10)
        for (index, id) in ids.enumerated() {
            let api = index.isMultiple(of: 2) ? two : one
            let approved = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:])
            #expect(approved.status == 200, "\(approved.text)")
        }
        var runners: Set<String> = []
        for id in ids {
            let finished = try await one.waitFor(
                id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed", "awaiting-approval"],
                timeout: .seconds(240))
            #expect(finished["status"] as? String == "succeeded", "\(id): \(finished["notes"] ?? "") \(finished["steps"] ?? "")")
        }
        let audit = try await one.call("GET", "/audit?limit=200", token: team.auditor)
        var entries = audit.object["items"] as? [[String: Any]] ?? []
        var cursor = audit.object["nextCursor"] as? String
        while let next = cursor {
            let page = try await one.call("GET", "/audit?limit=200&after=\(next)", token: team.auditor)
            entries += page.object["items"] as? [[String: Any]] ?? []
            cursor = page.object["nextCursor"] as? String
        }
        for entry in entries where entry["action"] as? String == "run.started" {
            runners.insert(entry["actor"] as? String ?? "")
        }
        let started = entries.filter { $0["action"] as? String == "run.started" }.compactMap { $0["subject"] as? String }
        #expect(Set(started).count == started.count, "an offboarding was started twice: \(started)")
        #expect(runners.count == 2, "only \(runners) ran offboardings")
        #expect(try await one.call("GET", "/audit/verification", token: team.auditor).object["intact"] as? Bool == true)

        var seen: [String: Int] = [:]
        for key in simulator.requestLog(since: since).compactMap(\.effectKey) { seen[key, default: 0] += 1 }
        let twice = seen.filter { $0.value > 1 }.keys.sorted()
        #expect(twice.isEmpty, "applied more than once: \(twice)")
        _ = await first.stop()
        _ = await second.stop()
    }
}
