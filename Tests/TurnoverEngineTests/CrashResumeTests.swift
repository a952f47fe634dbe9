import Foundation
import Testing

@testable import M365Simulator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Changes that took effect, keyed so that the same change sent twice has the same key.
func effectKeys(_ entries: [RequestLogEntry]) -> [String] {
    entries.compactMap(\.effectKey)
}

@Suite("Crash and resume")
struct CrashResumeTests {
    @Test("kill -9 at random moments, then resume: every run completes and no effect is applied twice")
    func killAndResume() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let leavers = [
                "ben.carter@contoso.com", "grace.hall@contoso.com", "laura.nash@contoso.com", "yusuf.adams@contoso.com",
                "chloe.diaz@contoso.com",
            ]
            // Seeded, so a failing kill schedule can be replayed: TURNOVER_CRASH_SEED=<seed>.
            let seed = ProcessInfo.processInfo.environment["TURNOVER_CRASH_SEED"].flatMap(UInt64.init) ?? 20_261_201
            var generator = SplitMix64(seed: seed)
            var killedMidRun = 0
            var resumedWork = 0
            for iteration in 0..<20 {
                #expect(simulator.resetTenant("Contoso"))
                let since = simulator.requestLog().last?.sequence ?? 0
                let leaver = leavers[iteration % leavers.count]
                let (process, _, stderrFile) = try cli.start(["offboard", leaver, "--tenant", "contoso", "--yes"])
                var runId: String?
                let deadline = Date().addingTimeInterval(60)
                while runId == nil, process.isRunning, Date() < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                    let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
                    if let range = text.range(of: #"Run (\S+) started\."#, options: .regularExpression) {
                        runId = String(text[range].dropFirst(4).dropLast(9))
                    }
                }
                let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
                guard let runId else {
                    Issue.record("iteration \(iteration): the run never started\n\(text)")
                    continue
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_300, using: &generator)))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    killedMidRun += 1
                }
                while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }

                let resumed = try await cli.run(["resume"])
                #expect(resumed.status == 0, "iteration \(iteration) (\(leaver)): resume exit \(resumed.status)\n\(resumed.stderr)")
                let report = try await cli.run(["report", runId, "--format", "json"])
                let status = reportJSON(report)["status"] as? String
                #expect(status == "succeeded", "iteration \(iteration) (\(leaver)): run \(runId) is \(status ?? "?")\n\(resumed.stderr)")

                if resumed.stderr.contains("Resuming") { resumedWork += 1 }
                var seen: [String: Int] = [:]
                let effects = effectKeys(simulator.requestLog(since: since))
                #expect(effects.count >= 8, "iteration \(iteration): only \(effects.count) effects seen")
                for key in effects { seen[key, default: 0] += 1 }
                let twice = seen.filter { $0.value > 1 }.keys.sorted()
                #expect(twice.isEmpty, "iteration \(iteration) (\(leaver)): applied more than once: \(twice)")
                let state = try SimulatorState(simulator)
                #expect(state.accountEnabled(leaver) == false)
                #expect(state.mailboxesAtRisk.isEmpty, "\(state.mailboxesAtRisk)")
                #expect(state.directLicences(leaver).isEmpty && state.mailboxType(leaver) == "SharedMailbox", "\(leaver)")
            }
            // The kills must really have interrupted runs, or the test proves nothing.
            #expect(
                killedMidRun >= 12 && resumedWork >= 12,
                "only \(killedMidRun) of 20 runs were still going when killed, \(resumedWork) resumed")
            print("crash test: \(killedMidRun) of 20 runs killed mid-run, \(resumedWork) finished by resume")
        }
    }

    @Test("the effect detector sees a repeated request")
    func detectorFindsRepeats() throws {
        func entry(
            _ method: String, _ path: String, _ body: String?, service: String = "graph-batch-item", operation: String? = nil
        ) -> RequestLogEntry {
            RequestLogEntry(
                sequence: 0, time: Date(), service: service, method: method, path: path, operation: operation, body: body, status: 204,
                injected: nil,
                tenantId: nil, clientId: nil, requestId: "r", batchRequestId: nil, durationMilliseconds: 1)
        }
        let keys = effectKeys([
            entry("PATCH", "/users/a", #"{"accountEnabled":false}"#), entry("GET", "/users/a", nil),
            entry(
                "POST", "/adminapi/beta/t/InvokeCommand", #"{"CmdletInput":{"CmdletName":"Get-Mailbox"}}"#, service: "exchange",
                operation: "Get-Mailbox"),
            entry("PATCH", "/users/a", #"{"accountEnabled":false}"#),
        ])
        #expect(keys.count == 2 && Set(keys).count == 1)
    }
}
