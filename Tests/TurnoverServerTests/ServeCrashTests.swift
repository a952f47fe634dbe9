import AsyncHTTPClient
import Foundation
import M365Simulator
import Testing

/// `turnover serve` killed with SIGKILL at random moments while it runs offboardings, and started
/// again on the same database: every run completes, and the simulator's request log shows no change
/// applied twice.
@Suite("turnover serve killed mid-run")
struct ServeCrashTests {
    @Test("kill -9 of serve at random moments, each followed by a restart: every run completes, no change applied twice")
    func killServe() async throws {
        try await withDemoSimulator { simulator, simulatorURL, http in
            let directory = try ServeProcess.newDataDirectory()
            var serve = try await ServeProcess(dataDirectory: directory, arguments: ["--bootstrap-admin", "root"])
            var api = APIClient(baseURL: serve.baseURL, http: http)
            let team = try await Team.make(serve, api)
            try await api.addSimulatorTenant(simulator, url: simulatorURL, token: team.admin)

            let leavers = ["ben.carter@contoso.com", "grace.hall@contoso.com", "laura.nash@contoso.com", "chloe.diaz@contoso.com"]
            let seed = ProcessInfo.processInfo.environment["TURNOVER_CRASH_SEED"].flatMap(UInt64.init) ?? 20_261_202
            var generator = SplitMix64(seed: seed)
            var killedMidRun = 0
            for iteration in 0..<10 {
                #expect(simulator.resetTenant("Contoso"))
                let since = simulator.requestLog().last?.sequence ?? 0
                let leaver = leavers[iteration % leavers.count]
                let submitted = try await api.call(
                    "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": leaver])
                let id = try #require(submitted.object["id"] as? String, "\(submitted.text)")
                #expect(try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:]).status == 200)
                _ = try await api.waitFor(id, token: team.technician, statuses: ["running", "succeeded"], timeout: .seconds(60))
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_500, using: &generator)))
                let status = try await api.call("GET", "/offboardings/\(id)", token: team.technician).object["status"] as? String
                await serve.kill()
                if status == "running" { killedMidRun += 1 }

                serve = try await ServeProcess(dataDirectory: directory, arguments: [])
                api = APIClient(baseURL: serve.baseURL, http: http)
                let finished = try await api.waitFor(
                    id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"], timeout: .seconds(120))
                #expect(finished["status"] as? String == "succeeded", "iteration \(iteration) (\(leaver)): \(finished["steps"] ?? "")")

                var seen: [String: Int] = [:]
                let effects = simulator.requestLog(since: since).compactMap(\.effectKey)
                #expect(effects.count >= 8, "iteration \(iteration): only \(effects.count) changes seen")
                for key in effects { seen[key, default: 0] += 1 }
                let twice = seen.filter { $0.value > 1 }.keys.sorted()
                #expect(twice.isEmpty, "iteration \(iteration) (\(leaver)): applied more than once: \(twice)")
                let state = try SimulatorState(simulator)
                #expect(state.accountEnabled(leaver) == false)
                #expect(state.directLicences(leaver).isEmpty && state.mailboxType(leaver) == "SharedMailbox", "\(leaver)")
            }
            _ = await serve.stop()
            #expect(killedMidRun >= 6, "only \(killedMidRun) of 10 kills interrupted a run")
            print("serve crash test: \(killedMidRun) of 10 kills interrupted a run; all 10 runs completed after restarts")
        }
    }
}
