import AsyncHTTPClient
import Foundation
import M365Simulator
import Testing

/// Scheduled offboardings through `turnover serve`: the end of the leaver's last day in the
/// leaver's own zone, a run that waits for its time once approved, and one missed while the
/// service was stopped, which runs at start-up and says it was late.
@Suite("Scheduled offboardings", .serialized)
struct ScheduleTests {
    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    @Test("the end of the last day is computed in the mailbox's own zone (Tokyo, Los Angeles); a past day is refused")
    func endOfLastDay() async throws {
        try await withServe { _, api, team in
            for (upn, day, expected, zone) in [
                ("isla.jones@contoso.com", "2027-03-26", "2027-03-26T08:30:00Z", "Asia/Tokyo"),
                ("jack.kim@contoso.com", "2027-03-05", "2027-03-06T01:30:00Z", "America/Los_Angeles"),  // PST
                ("jack.kim@contoso.com", "2027-03-15", "2027-03-16T00:30:00Z", "America/Los_Angeles"),  // PDT from 14 March
            ] {
                let submitted = try await api.call(
                    "POST", "/offboardings", token: team.technician,
                    json: [
                        "tenant": "contoso", "userPrincipalName": upn, "lastDay": day, "overrides": ["successor=kate.lopez@contoso.com"],
                    ])
                #expect(submitted.status == 201, "\(upn): \(submitted.text)")
                #expect(submitted.object["runAt"] as? String == expected, "\(upn) \(day): \(submitted.object["runAt"] ?? "none")")
                let timing = submitted.object["timing"] as? String ?? ""
                #expect(timing.contains(zone) && timing.contains("mailbox's regional configuration"), "\(timing)")
                if let id = submitted.object["id"] as? String {
                    _ = try await api.call("POST", "/offboardings/\(id)/cancel", token: team.technician, json: ["reason": "test"])
                }
            }
            let past = try await api.call(
                "POST", "/offboardings", token: team.technician,
                json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com", "lastDay": "2020-01-31"])
            #expect(past.status == 422, "\(past.text)")
            #expect(past.text.contains("has passed"))
            let both = try await api.call(
                "POST", "/offboardings", token: team.technician,
                json: [
                    "tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com", "lastDay": "2030-01-31",
                    "runAt": "2030-01-31T10:00:00Z",
                ])
            #expect(both.status == 400)
        }
    }

    @Test("approved before its time, a scheduled run waits; missed while serve was stopped, it runs at start-up and says it was late")
    func waitsThenRunsLate() async throws {
        let directory = try ServeProcess.newDataDirectory()
        let config = directory + "/turnover.yaml"
        try "scheduleGrace: 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let first = try await ServeProcess(
            dataDirectory: directory, arguments: ["--sandbox", "--bootstrap-admin", "root", "--config", config])
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var second: ServeProcess?
        do {
            var api = APIClient(baseURL: first.baseURL, http: http)
            let team = try await Team.make(first, api)
            // Far enough ahead that this serve is stopped before the time comes, even on a loaded machine.
            let runAt = Date().addingTimeInterval(20)
            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician,
                json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com", "runAt": Self.iso(runAt)])
            let id = try #require(submitted.object["id"] as? String, "\(submitted.text)")
            let approved = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:])
            #expect(approved.status == 200, "\(approved.text)")
            try await Task.sleep(for: .seconds(1))
            // Approved, and still waiting for its time: nothing has changed in the tenant.
            #expect(try await api.call("GET", "/offboardings/\(id)", token: team.admin).object["status"] as? String == "approved")
            #expect(try await api.simulatorState(first).accountEnabled("ben.carter@contoso.com") == true)
            _ = await first.stop()
            try #require(Date() < runAt, "serve stopped only after the scheduled time; the test cannot show a missed start")

            // Down past the scheduled time; the next start runs it, late, and says so.
            try await Task.sleep(for: .seconds(max(0, runAt.timeIntervalSinceNow) + 3))
            let restarted = try await ServeProcess(dataDirectory: directory, arguments: ["--sandbox", "--config", config])
            second = restarted
            api = APIClient(baseURL: restarted.baseURL, http: http)
            let finished = try await api.waitFor(id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
            #expect(finished["status"] as? String == "succeeded")
            let notes = (finished["notes"] as? [String] ?? []).joined(separator: "\n")
            #expect(notes.contains("late: the service was not running at the scheduled time"), "\(notes)")
            #expect(try await api.simulatorState(restarted).accountEnabled("ben.carter@contoso.com") == false)
            let report = try await api.call("GET", "/offboardings/\(id)/report?format=md", token: team.auditor)
            #expect(report.text.contains("**Schedule:** scheduled for"), "\(report.text.prefix(800))")
            #expect(report.text.contains("late"))
            _ = await restarted.stop()
            try await http.shutdown()
        } catch {
            _ = await first.stop()
            if let second { _ = await second.stop() }
            try? await http.shutdown()
            throw error
        }
    }
}
