import AsyncHTTPClient
import Foundation
import M365Simulator
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

@Suite("The REST API of turnover serve --sandbox, over real HTTP", .serialized)
struct APITests {
    @Test("a technician submits, cannot approve their own; an approver approves and the run changes the simulator's tenant")
    func fourEyes() async throws {
        try await withServe { serve, api, team in
            let before = try await api.simulatorState(serve)
            #expect(before.accountEnabled("ben.carter@contoso.com") == true)

            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician,
                json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com"])
            #expect(submitted.status == 201, "\(submitted.text)")
            #expect(submitted.object["status"] as? String == "awaiting-approval")
            let id = try #require(submitted.object["id"] as? String)
            #expect((submitted.object["steps"] as? [[String: Any]])?.isEmpty == false)

            // Nothing runs before the approval.
            try await Task.sleep(for: .seconds(1))
            #expect(try await api.simulatorState(serve).accountEnabled("ben.carter@contoso.com") == true)

            let own = try await api.call("POST", "/offboardings/\(id)/approve", token: team.technician, json: [:])
            #expect(own.status == 403)
            let adminOwn = try await api.call(
                "POST", "/offboardings", token: team.admin, json: ["tenant": "contoso", "userPrincipalName": "ava.ito@contoso.com"])
            if let adminId = adminOwn.object["id"] as? String {
                // An admin holds every role, and still not four eyes on their own submission.
                let selfApproval = try await api.call("POST", "/offboardings/\(adminId)/approve", token: team.admin, json: [:])
                #expect(selfApproval.status == 403, "\(selfApproval.text)")
                #expect(selfApproval.text.contains("four eyes"))
                _ = try await api.call("POST", "/offboardings/\(adminId)/cancel", token: team.admin, json: ["reason": "test"])
            }

            let approved = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: ["comment": "ok"])
            #expect(approved.status == 200, "\(approved.text)")
            let again = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:])
            #expect(again.status == 409)

            let finished = try await api.waitFor(
                id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed", "awaiting-approval"])
            #expect(finished["status"] as? String == "succeeded", "\(finished["notes"] ?? "") \(finished["steps"] ?? "")")
            let approvals = finished["approvals"] as? [[String: Any]] ?? []
            #expect(approvals.map { $0["operator"] as? String } == ["ada"])
            #expect((approvals.first?["planHash"] as? String)?.count == 64)

            // Judged on the simulator's tenant, not on Turnover's record.
            let after = try await api.simulatorState(serve)
            #expect(after.accountEnabled("ben.carter@contoso.com") == false)
            #expect(after.mailboxType("ben.carter@contoso.com") == "SharedMailbox")
            #expect(after.directLicences("ben.carter@contoso.com").isEmpty)

            let report = try await api.call("GET", "/offboardings/\(id)/report?format=md", token: team.auditor)
            #expect(report.status == 200)
            #expect(report.text.contains("ben.carter@contoso.com"))
            let json = try await api.call("GET", "/offboardings/\(id)/report?format=json", token: team.auditor)
            #expect(json.status == 200 && json.object["steps"] != nil)

            var actions: [String] = []
            var auditCursor = "0"
            while true {
                let page = try await api.call("GET", "/audit?limit=200&after=\(auditCursor)", token: team.auditor)
                actions += (page.object["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
                guard let next = page.object["nextCursor"] as? String else { break }
                auditCursor = next
            }
            for action in ["offboarding.submitted", "offboarding.approved", "run.started", "step.finished", "run.finished", "signin"] {
                #expect(actions.contains(action), "audit log lacks \(action)")
            }
            let verification = try await api.call("GET", "/audit/verification", token: team.auditor)
            #expect(verification.object["intact"] as? Bool == true)

            // Prometheus metrics, for an auditor's token only (their labels name the client tenants).
            var metricsRequest = HTTPClientRequest(url: serve.baseURL + "/metrics")
            metricsRequest.headers.add(name: "Authorization", value: "Bearer \(team.auditor)")
            let metrics = try await api.http.execute(metricsRequest, timeout: .seconds(30))
            let text = String(buffer: try await metrics.body.collect(upTo: 8 << 20))
            #expect(metrics.status.code == 200)
            #expect(text.contains("turnover_runs_finished_total{") && text.contains("status=\"succeeded\""))
            #expect(text.contains("turnover_step_duration_seconds") && text.contains("turnover_microsoft_"))
            #expect(text.contains("turnover_api_requests_total{"))
            var anonymous = HTTPClientRequest(url: serve.baseURL + "/metrics")
            anonymous.headers.add(name: "Authorization", value: "Bearer \(team.technician)")
            #expect(try await api.http.execute(anonymous, timeout: .seconds(30)).status.code == 401)
        }
    }

    @Test("an auditor reads but cannot submit; a technician scoped to Contoso gets 404 for Fabrikam's tenant, users and runs")
    func rolesAndScope() async throws {
        try await withServe { serve, api, team in
            let auditorSubmit = try await api.call(
                "POST", "/offboardings", token: team.auditor, json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com"])
            #expect(auditorSubmit.status == 403)
            #expect(auditorSubmit.headers["content-type"] == "application/problem+json")
            #expect(try await api.call("GET", "/offboardings", token: team.auditor).status == 200)

            let fabrikamUsers = try await api.call("GET", "/tenants/fabrikam/users?limit=5", token: team.technician)
            #expect(fabrikamUsers.status == 200)
            let someone = try #require((fabrikamUsers.object["items"] as? [[String: Any]])?.first?["userPrincipalName"] as? String)
            let fabrikamRun = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "fabrikam", "userPrincipalName": someone])
            #expect(fabrikamRun.status == 201, "\(fabrikamRun.text)")
            let fabrikamId = try #require(fabrikamRun.object["id"] as? String)

            for path in [
                "/tenants/fabrikam", "/tenants/fabrikam/users", "/tenants/fabrikam/users/\(someone)", "/offboardings/\(fabrikamId)",
                "/offboardings/\(fabrikamId)/report",
            ] {
                let reply = try await api.call("GET", path, token: team.contosoTechnician)
                #expect(reply.status == 404, "\(path) answered \(reply.status)")
            }
            // A tenant that does not exist answers exactly as one out of scope.
            let missing = try await api.call("GET", "/tenants/nowhere", token: team.contosoTechnician)
            let hidden = try await api.call("GET", "/tenants/fabrikam", token: team.contosoTechnician)
            #expect(missing.status == hidden.status)
            let submit = try await api.call(
                "POST", "/offboardings", token: team.contosoTechnician, json: ["tenant": "fabrikam", "userPrincipalName": someone])
            #expect(submit.status == 404)
            let list = try await api.call("GET", "/offboardings", token: team.contosoTechnician)
            let tenants = Set((list.object["items"] as? [[String: Any]] ?? []).compactMap { $0["tenant"] as? String })
            #expect(!tenants.contains("fabrikam"))
            let tenantList = try await api.call("GET", "/tenants", token: team.contosoTechnician)
            #expect((tenantList.object["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } == ["contoso"])
            #expect(try await api.call("GET", "/tenants/contoso/users?search=ben", token: team.contosoTechnician).status == 200)
        }
    }

    @Test("a malformed or dangerous request is refused with a problem document and changes nothing")
    func refusals() async throws {
        try await withServe { serve, api, team in
            let before = try await api.simulatorState(serve)
            let garbage = try await api.call("POST", "/offboardings", token: team.technician, rawBody: "{not json")
            #expect(garbage.status == 400)
            #expect(garbage.headers["content-type"] == "application/problem+json")
            let badUPN = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": "../../users"])
            #expect(badUPN.status == 422, "\(badUPN.text)")
            let badOverride = try await api.call(
                "POST", "/offboardings", token: team.technician,
                json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com", "overrides": ["steps=delete-everything"]])
            #expect(badOverride.status == 422)
            #expect(badOverride.text.contains("unknown step"))
            let noToken = try await api.call("GET", "/offboardings")
            #expect(noToken.status == 401)
            let wrongToken = try await api.call("GET", "/offboardings", token: "tot_not-a-token")
            #expect(wrongToken.status == 401)
            let badPolicy = try await api.call(
                "PUT", "/tenants/contoso/policy", token: team.admin, json: ["yaml": "steps: [block-sign-in]\nforwarding: 12\n"])
            #expect(badPolicy.status == 422)
            #expect(badPolicy.text.contains("line"))
            let after = try await api.simulatorState(serve)
            #expect(NSDictionary(dictionary: before.users) == NSDictionary(dictionary: after.users))
        }
    }

    @Test("API tokens are shown once, hold at most their operator's roles, and stop working when revoked")
    func tokens() async throws {
        try await withServe { _, api, team in
            let wider = try await api.call("POST", "/tokens", token: team.technician, json: ["name": "ci", "roles": ["admin"]])
            #expect(wider.status == 403)
            let created = try await api.call("POST", "/tokens", token: team.technician, json: ["name": "ci", "expiresInDays": 7])
            #expect(created.status == 201)
            let secret = try #require(created.object["secret"] as? String)
            let id = try #require((created.object["token"] as? [String: Any])?["id"] as? String)
            #expect(try await api.call("GET", "/offboardings", token: secret).status == 200)
            let listed = try await api.call("GET", "/tokens", token: team.technician)
            #expect(!listed.text.contains(secret))
            #expect(try await api.call("DELETE", "/tokens/\(id)", token: team.technician).status == 204)
            #expect(try await api.call("GET", "/offboardings", token: secret).status == 401)
        }
    }
}
