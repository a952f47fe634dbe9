import Foundation
import M365Simulator
import Testing

/// The CLI as a client of a team's `turnover serve`: `--server` and an API token in TURNOVER_TOKEN.
@Suite("turnover --server: the CLI through the REST API")
struct RemoteCLITests {
    static func run(_ arguments: [String], token: String, directory: String) async throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TURNOVER_TOKEN"] = token
        // A data directory of its own: nothing may come from a local store.
        environment["TURNOVER_DATA_DIR"] = directory
        process.environment = environment
        let out = URL(fileURLWithPath: directory).appendingPathComponent("out-\(UUID().uuidString)")
        let err = URL(fileURLWithPath: directory).appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    static func finish(_ started: (Process, URL, URL)) async -> (status: Int32, out: String, err: String) {
        while started.0.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        return (
            started.0.terminationStatus, (try? String(contentsOf: started.1, encoding: .utf8)) ?? "",
            (try? String(contentsOf: started.2, encoding: .utf8)) ?? ""
        )
    }

    @Test("plan, offboard (approved meanwhile by an approver), runs and report go through the server")
    func remote() async throws {
        try await withServe { serve, api, team in
            let made = try await api.call("POST", "/tokens", token: team.technician, json: ["name": "script"])
            let token = try #require(made.object["secret"] as? String)
            let directory = try ServeProcess.newDataDirectory()
            let server = ["--server", serve.baseURL]

            let plan = await Self.finish(
                try await Self.run(["plan", "ben.carter@contoso.com", "--tenant", "contoso"] + server, token: token, directory: directory))
            #expect(plan.status == 0, "\(plan.err)")
            #expect(plan.out.contains("ben.carter@contoso.com") && plan.out.contains("Block sign-in"), "\(plan.out)")

            let offboard = try await Self.run(
                ["offboard", "ben.carter@contoso.com", "--tenant", "contoso"] + server, token: token, directory: directory)
            var id: String?
            for _ in 0..<200 where id == nil {
                try await Task.sleep(for: .milliseconds(100))
                let list = try await api.call("GET", "/offboardings?status=awaiting-approval", token: team.approver)
                id = (list.object["items"] as? [[String: Any]])?.first?["id"] as? String
            }
            let submitted = try #require(id)
            #expect(try await api.call("POST", "/offboardings/\(submitted)/approve", token: team.approver, json: [:]).status == 200)
            let finished = await Self.finish(offboard)
            #expect(finished.status == 0, "\(finished.err)")
            #expect(finished.out.contains("ben.carter@contoso.com"), "\(finished.out)")
            #expect(try await api.simulatorState(serve).accountEnabled("ben.carter@contoso.com") == false)

            let runs = await Self.finish(try await Self.run(["runs"] + server, token: token, directory: directory))
            #expect(runs.status == 0 && runs.out.contains(submitted) && runs.out.contains("succeeded"), "\(runs.out)\(runs.err)")
            let report = await Self.finish(try await Self.run(["report", submitted] + server, token: token, directory: directory))
            #expect(report.status == 0 && report.out.contains("ben.carter@contoso.com"), "\(report.err)")

            let show = await Self.finish(try await Self.run(["run", "show", submitted] + server, token: token, directory: directory))
            #expect(show.status == 0 && show.out.contains("Block sign-in") && show.out.contains("succeeded"), "\(show.out)\(show.err)")
            let undo = await Self.finish(
                try await Self.run(["undo", submitted, "--steps", "block-sign-in"] + server, token: token, directory: directory))
            #expect(undo.status == 0 && undo.out.contains("submitted as"), "\(undo.out)\(undo.err)")
            let undos = try await api.call("GET", "/offboardings?status=awaiting-approval", token: team.approver)
            let pending = (undos.object["items"] as? [[String: Any]] ?? []).first { $0["undoes"] as? String == submitted }
            let undoId = try #require(pending?["id"] as? String)
            #expect(try await api.call("POST", "/offboardings/\(undoId)/approve", token: team.approver, json: [:]).status == 200)
            _ = try await api.waitFor(undoId, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
            #expect(try await api.simulatorState(serve).accountEnabled("ben.carter@contoso.com") == true)

            let unauthorised = await Self.finish(try await Self.run(["runs"] + server, token: "tot_wrong", directory: directory))
            #expect(unauthorised.status != 0 && unauthorised.err.contains("401"), "\(unauthorised.err)")
        }
    }
}
